"""Serving the dashboard's own stylesheet and script, and the vendored uPlot, from this server (never a CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
UPLOT = Path(__file__).resolve().parents[1] / "static" / "vendor" / "uplot"
STATIC_PREFIX = "/dashboard/static"


def mount_static(app: FastAPI) -> None:
    """Mount ``api/dashboard/static/`` at ``/dashboard/static`` and uPlot at ``/dashboard/static/vendor/uplot``
    (the more specific mount first, so it wins)."""
    app.mount(f"{STATIC_PREFIX}/vendor/uplot", StaticFiles(directory=UPLOT), name="dashboard-uplot")
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="dashboard-static")
