"""The run catalogue: runs with their status history, timings, fallbacks and model versions, and station alerts.

SQLite file in the home by default; any SQLAlchemy URL (PostgreSQL tested) by configuration only. See
``docs/catalogue.md``.
"""

from forecast.catalogue.engine import URL_ENV
from forecast.catalogue.records import (
    APPROVED,
    CLOSED,
    COMPLETE,
    EXCEEDANCE,
    FAILED,
    OPEN,
    PUBLISHED,
    RUNNING,
    SILENT,
    STATUSES,
    SUPERSEDED,
    TRANSITIONS,
    AlertRecord,
    CatalogueError,
    Fallback,
    InvalidTransition,
    RunRecord,
    StatusEvent,
    UnknownRun,
)
from forecast.catalogue.store import RunCatalogue

__all__ = [
    "APPROVED", "CLOSED", "COMPLETE", "EXCEEDANCE", "FAILED", "OPEN", "PUBLISHED", "RUNNING", "SILENT", "STATUSES",
    "SUPERSEDED", "TRANSITIONS", "URL_ENV", "AlertRecord", "CatalogueError", "Fallback", "InvalidTransition",
    "RunCatalogue", "RunRecord", "StatusEvent", "UnknownRun",
]  # fmt: skip
