"""Operations and discovery: ``/healthz``, ``/metrics``, ``/openapi.json``, ``/docs`` and the ``/v1`` index."""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations, some of which close over
# the app's settings (page and query bounds).
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import Response

from api.context import ApiContext
from api.metrics import ApiMetrics
from api.models_misc import Health
from api.representation import JSON, Representation, json_bytes

NO_STORE = {"Cache-Control": "no-store"}


def health(ctx: ApiContext, now: datetime) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 503 when nothing is published or the catalogue is unreachable, 200 otherwise
    (``degraded`` when the latest release is older than ``stale_after_hours``)."""
    catalogue_ok, catalogue_detail = ctx.catalogue.check()
    release = ctx.releases.current()
    latest = None
    if release is None:
        problem = ctx.releases.problem
        products_detail = (
            f"latest release not served: {problem}" if problem else "nothing published: products/latest is missing"
        )
        products_ok, stale = False, False
    else:
        released_at = release.released_at()
        age_h = (now - released_at).total_seconds() / 3600 if released_at else None
        limit = ctx.settings.stale_after_hours
        stale = age_h is not None and age_h > limit
        products_ok = not stale
        products_detail = (
            f"latest release {release.run_id} is {age_h:.1f} h old (> {limit:g} h)"
            if stale
            else f"latest release {release.run_id}" + (f", {age_h:.1f} h old" if age_h is not None else "")
        )
        latest = {
            "run_id": release.run_id,
            "cycle": release.meta.cycle,
            "issue_time": release.meta.issue_time,
            "released_at": released_at.isoformat() if released_at else None,
            "age_hours": round(age_h, 2) if age_h is not None else None,
        }
    if release is None or not catalogue_ok:
        status, code = "down", 503
    else:
        status, code = ("degraded" if stale else "ok"), 200
    body = {
        "status": status,
        "time": now.isoformat(timespec="seconds"),
        "checks": {
            "catalogue": {"ok": catalogue_ok, "detail": catalogue_detail},
            "products": {"ok": products_ok, "detail": products_detail},
        },
        "latest": latest,
    }
    return code, Health.model_validate(body).model_dump(mode="json")


def release_age(ctx: ApiContext) -> Callable[[], float]:
    """Seconds since the latest release (NaN without one), for the metrics gauge."""

    def age() -> float:
        release = ctx.releases.current()
        released_at = release.released_at() if release is not None else None
        return (ctx.clock() - released_at).total_seconds() if released_at else float("nan")

    return age


def router(ctx: ApiContext, app: FastAPI, metrics: ApiMetrics) -> APIRouter:
    """The operations and documentation routes of one app."""
    api = APIRouter(tags=["operations"])
    docs_cache: dict[str, Representation] = {}

    def cached_doc(key: str, build: Callable[[], Representation]) -> Representation:
        if key not in docs_cache:
            docs_cache[key] = build()
        return docs_cache[key]

    @api.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": Health, "description": "down: nothing published, or the catalogue is unreachable"}},
        summary="Health: catalogue reachable, a release published, and its age",
    )
    def healthz() -> Response:
        code, body = health(ctx, ctx.clock())
        return Response(json_bytes(body), status_code=code, media_type=JSON, headers=NO_STORE)

    @api.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus"}},
        summary="Prometheus metrics of this worker",
    )
    async def prometheus() -> Response:  # async: the statistics are only touched by the event-loop thread
        body, media_type = metrics.exposition()
        return Response(body, media_type=media_type, headers=NO_STORE)

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> Response:
        build = lambda: ctx.representation(json_bytes(app.openapi()), JSON, ctx.settings.cache.docs)  # noqa: E731
        return cached_doc("openapi", build).respond(request)

    @api.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> Response:
        def build() -> Representation:
            page = get_swagger_ui_html(openapi_url=ctx.link("/openapi.json"), title=f"{app.title} — docs")
            return ctx.representation(bytes(page.body), "text/html; charset=utf-8", ctx.settings.cache.docs)

        return cached_doc("docs", build).respond(request)

    @api.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> Response:
        def build() -> Representation:
            page = get_redoc_html(openapi_url=ctx.link("/openapi.json"), title=f"{app.title} — reference")
            return ctx.representation(bytes(page.body), "text/html; charset=utf-8", ctx.settings.cache.docs)

        return cached_doc("redoc", build).respond(request)

    @api.get("/v1", summary="Index of the /v1 endpoints", response_class=Response)
    async def index(request: Request) -> Response:
        def build() -> Representation:
            paths = sorted(app.openapi().get("paths", {}))
            body = {"api_version": "v1", "docs": ctx.link("/docs"), "openapi": ctx.link("/openapi.json"),
                    "endpoints": [ctx.link(p) for p in paths]}  # fmt: skip
            return ctx.representation(json_bytes(body), JSON, ctx.settings.cache.docs)

        return cached_doc("index", build).respond(request)

    return api
