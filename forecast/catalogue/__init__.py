"""The run catalogue: runs with their status history, timings, fallbacks and model versions, and station alerts.

SQLite file in the home by default; any SQLAlchemy URL (PostgreSQL tested) by configuration only. See
``docs/catalogue.md``.
"""

from forecast.catalogue.access import AccessError
from forecast.catalogue.engine import URL_ENV
from forecast.catalogue.records import (
    ADMIN,
    APPROVED,
    CLOSED,
    COMPLETE,
    EXCEEDANCE,
    FAILED,
    FORECASTER,
    OPEN,
    PUBLISHED,
    ROLES,
    RUNNING,
    SILENT,
    STATUSES,
    SUPERSEDED,
    TRANSITIONS,
    AlertRecord,
    ApiKeyRecord,
    AuditRecord,
    CatalogueError,
    Fallback,
    InvalidTransition,
    OverrideRecord,
    RunRecord,
    StatusEvent,
    UnknownRun,
    UserRecord,
)
from forecast.catalogue.store import RunCatalogue

__all__ = [
    "ADMIN", "APPROVED", "CLOSED", "COMPLETE", "EXCEEDANCE", "FAILED", "FORECASTER", "OPEN", "PUBLISHED", "ROLES",
    "RUNNING", "SILENT", "STATUSES", "SUPERSEDED", "TRANSITIONS", "URL_ENV", "AccessError", "AlertRecord",
    "ApiKeyRecord", "AuditRecord", "CatalogueError", "Fallback", "InvalidTransition", "OverrideRecord",
    "RunCatalogue", "RunRecord", "StatusEvent", "UnknownRun", "UserRecord",
]  # fmt: skip
