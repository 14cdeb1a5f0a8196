"""Response models of lists, bulletins, alerts, runs, verification and health (schema ``/v1``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.models import Station


class Page(BaseModel):
    """Pagination of every list: ``limit``/``offset`` in, ``next`` out (null on the last page)."""

    limit: int = Field(description="items per page asked for")
    offset: int = Field(description="items skipped")
    total: int | None = Field(description="items in the whole list, when known without reading it all")
    next: str | None = Field(description="link to the next page, null on the last one")


class StationList(BaseModel):
    """Stations of the latest released forecast."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "api_version": "v1",
                    "lang": "en",
                    "run_id": "2026-11-25T00Z/forecast-v1",
                    "page": {"limit": 50, "offset": 0, "total": 19, "next": None},
                    "items": [
                        {
                            "id": "us-embassy-hanoi",
                            "name": "US Embassy Hanoi",
                            "province": "Hà Nội",
                            "latitude": 21.021939,
                            "longitude": 105.818806,
                            "…": "…",
                        }
                    ],
                }
            ]
        }
    )

    api_version: Literal["v1"] = "v1"
    lang: Literal["vi", "en"]
    run_id: str | None = Field(description="the release the list comes from; null when nothing is published")
    page: Page
    items: list[Station]


class BulletinLinks(BaseModel):
    json_: str = Field(alias="json")
    html: dict[str, str] = Field(description="lang → link")
    txt: dict[str, str] = Field(description="lang → link")
    png: list[dict[str, str]] = Field(description="per region: `region` (1-based), `name`, `vi`, `en` links")


class BulletinSummary(BaseModel):
    """One released bulletin version."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "2026-11-25T00Z/forecast-v1",
                    "version": 1,
                    "cycle": "2026-11-25T00Z",
                    "issue_time": "2026-11-25T00:00:00+00:00",
                    "released": True,
                    "reviewed": False,
                    "approved_by": None,
                    "synthetic": False,
                    "emergency": False,
                    "regions": ["Hà Nội", "TP. Hồ Chí Minh"],
                    "links": {"json": "/v1/bulletins/2026-11-25T00Z/forecast-v1.json?version=1", "…": "…"},
                }
            ]
        },
    )

    id: str = Field(description="bulletin id = run id")
    version: int = Field(description="K of bulletin-vK (grows with each edit and the release)")
    cycle: str
    issue_time: str
    released: Literal[True] = True
    reviewed: bool
    approved_by: str | None
    synthetic: bool
    emergency: bool
    regions: list[str]
    caveats: list[dict[str, str]] = Field(default_factory=list, description="{vi, en} sentences shown first")
    released_at: str | None = Field(default=None, description="when products/latest took it (latest only)")
    links: BulletinLinks


class BulletinList(BaseModel):
    api_version: Literal["v1"] = "v1"
    page: Page
    items: list[BulletinSummary]


class AlertItem(BaseModel):
    """One CAP 1.2 message of the ledger. Exercises and tests are labelled and never `real`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "identifier": "vn.vnaqi.drill.20261125T031500Z.ha-noi.1",
                    "status": "Exercise",
                    "msg_type": "Alert",
                    "real": False,
                    "drill": True,
                    "label": "DIỄN TẬP / EXERCISE",
                    "province": "Hà Nội",
                    "sent": "2026-11-25T10:15:00+07:00",
                    "onset": "2026-11-26T00:00:00+07:00",
                    "expires": "2026-11-29T00:00:00+07:00",
                    "active": True,
                    "links": {"cap": "/v1/alerts/vn.vnaqi.drill.20261125T031500Z.ha-noi.1"},
                }
            ]
        }
    )

    identifier: str
    sender: str
    sent: str = Field(description="ISO 8601 with +07:00")
    status: Literal["Actual", "Exercise", "System", "Test", "Draft"] | str
    msg_type: str = Field(description="Alert, Update or Cancel")
    real: bool = Field(description="true only for status Actual (never for drills or synthetic-data tests)")
    drill: bool
    label: str | None = Field(description="what to print beside a non-real message (DIỄN TẬP / EXERCISE, TEST)")
    province: str
    incident: str
    cycle: str | None
    run_id: str | None
    onset: str | None
    expires: str | None
    active: bool = Field(description="not expired and not cancelled by a later message of its incident")
    references: list[str]
    stations: list[str]
    reviewed: bool
    links: dict[str, str] = Field(description="`cap`: the CAP 1.2 XML")


class AlertList(BaseModel):
    api_version: Literal["v1"] = "v1"
    page: Page
    items: list[AlertItem]


class RunEvent(BaseModel):
    status: str
    at: str
    by: str | None
    note: str | None
    previous: str | None


class Run(BaseModel):
    """A forecast run as the catalogue records it (operators' details such as paths are left out)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": "2026-11-25T00Z/forecast-v1",
                    "cycle": "2026-11-25T00Z",
                    "name": "forecast",
                    "version": 1,
                    "status": "published",
                    "started_at": "2026-11-25T05:00:03+00:00",
                    "finished_at": "2026-11-25T05:01:10+00:00",
                    "seconds": 67.0,
                    "models": {"pm25": "vnaqi-pm25/3"},
                    "stages": {"inputs": 12.4},
                    "fallbacks": [{"step": "no-model", "detail": "pm10: baseline", "at": "…"}],
                    "approved_by": None,
                    "approved_at": None,
                    "published_by": "vnaqi run",
                    "published_at": "2026-11-25T05:01:11+00:00",
                    "links": {"self": "/v1/runs/2026-11-25T00Z/forecast-v1"},
                }
            ]
        }
    )

    run_id: str
    cycle: str
    name: str
    version: int
    status: str = Field(description="running, failed, complete, approved, published, superseded")
    started_at: str
    finished_at: str | None
    seconds: float | None = Field(description="wall-clock duration [s]")
    models: dict[str, str]
    stages: dict[str, float] = Field(description="stage → seconds [s]")
    fallbacks: list[dict[str, Any]]
    approved_by: str | None
    approved_at: str | None
    published_by: str | None
    published_at: str | None
    failed: bool = Field(description="true when the run ended with an error (details are for operators)")
    links: dict[str, str]


class RunDetail(Run):
    history: list[RunEvent] = Field(description="every status change, oldest first")


class RunList(BaseModel):
    api_version: Literal["v1"] = "v1"
    page: Page
    items: list[Run]


class VerificationItem(BaseModel):
    """How the day-ahead forecast of one day did, as a released bulletin reported it."""

    bulletin_id: str
    bulletin_version: int
    verification_date: str = Field(description="the local day scored")
    verification_run: str | None = Field(description="run whose D1 was that day")
    regions: list[dict[str, Any]] = Field(
        description="per province: `name`, `verification` (stations, exact_category, within_one_category, "
        "mean_absolute_error and bias [VN_AQI])"
    )
    stations: list[dict[str, Any]] = Field(description="per station: `id`, `region`, `verified` forecast/observed")
    links: dict[str, str]


class VerificationList(BaseModel):
    api_version: Literal["v1"] = "v1"
    page: Page
    items: list[VerificationItem]


class HealthCheck(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "degraded",
                    "time": "2026-11-26T03:00:00+00:00",
                    "checks": {
                        "catalogue": {"ok": True, "detail": "sqlite:////srv/…/catalogue.sqlite"},
                        "products": {"ok": False, "detail": "latest release is 26.0 h old (> 18 h)"},
                    },
                    "latest": {"run_id": "2026-11-25T00Z/forecast-v1", "released_at": "…", "age_hours": 26.0},
                }
            ]
        }
    )

    status: Literal["ok", "degraded", "down"]
    time: str
    checks: dict[str, HealthCheck]
    latest: dict[str, Any] | None
