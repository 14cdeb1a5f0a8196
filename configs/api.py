"""Settings of the public HTTP API (``api.yaml``): CORS, caching, pagination and health thresholds.

Loaded like ``cycle.yaml``: ``<home>/api.yaml`` when it exists, else the packaged ``configs/api.yaml``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from configs.yamlfile import load_model

API_FILE = Path(__file__).with_name("api.yaml")


class CacheSettings(BaseModel):
    """``Cache-Control: public, max-age=…`` per kind of resource [s]; 0 means ``no-cache`` (always revalidate)."""

    model_config = ConfigDict(extra="forbid")

    forecast: int = Field(default=300, ge=0, description="station forecasts, nearest-station queries")
    stations: int = Field(default=3600, ge=0, description="station list and station details")
    bulletins: int = Field(default=300, ge=0, description="bulletins in every format, the Atom feed")
    alerts: int = Field(default=60, ge=0, description="CAP alerts and their index")
    runs: int = Field(default=60, ge=0, description="the run catalogue")
    verification: int = Field(default=900, ge=0, description="verification summaries")
    docs: int = Field(default=3600, ge=0, description="the OpenAPI document")


class PageSettings(BaseModel):
    """Pagination of lists (``limit`` / ``offset``)."""

    model_config = ConfigDict(extra="forbid")

    default_limit: int = Field(default=50, ge=1, le=1000)
    max_limit: int = Field(default=200, ge=1, le=1000)
    max_offset: int = Field(default=100_000, ge=0, description="larger offsets are refused (422)")

    @model_validator(mode="after")
    def _default_within_max(self) -> PageSettings:
        if self.default_limit > self.max_limit:
            raise ValueError(f"default_limit {self.default_limit} is above max_limit {self.max_limit}")
        return self


class RateLimitSettings(BaseModel):
    """Per-client token buckets on every route but /healthz and /metrics (429 problem+json with Retry-After).

    Buckets live in each worker's memory: with N workers a client may get up to N times these figures."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    requests_per_second: float = Field(default=20.0, gt=0, description="sustained rate per client address")
    burst: int = Field(default=200, ge=1, description="requests a client may make at once before being slowed")
    trust_forwarded: bool = Field(
        default=False, description="take the client from X-Forwarded-For (only behind a proxy that sets it)"
    )


class SessionSettings(BaseModel):
    """Forecasters' browser sessions (signed cookies; the key is ``<home>/secret.key``)."""

    model_config = ConfigDict(extra="forbid")

    max_age_hours: float = Field(default=8.0, gt=0, le=168, description="a login lasts this long (a shift)")
    secure_cookie: bool = Field(
        default=False, description="send the cookie over HTTPS only: set true wherever the site is served over TLS"
    )


class ApiSettings(BaseModel):
    """Everything ``vnaqi serve`` and :func:`api.app.create_app` need besides the home."""

    model_config = ConfigDict(extra="forbid")

    cors_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="origins allowed to read the API from a browser; ['*'] for any (reads are public, no cookies)",
    )
    stale_after_hours: float = Field(
        default=18.0, gt=0, description="/healthz says 'degraded' when the latest release is older than this [h]"
    )
    release_check_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="how often each worker checks where products/latest points [s]: a new release is served "
        "within this time (0: on every request)",
    )
    nearest_max: int = Field(default=5, ge=1, le=50, description="most stations /v1/forecast?lat&lon returns")
    gzip_min_bytes: int = Field(default=1024, ge=0, description="smaller bodies are sent uncompressed")
    base_url: str = Field(default="", description="absolute URL prefix for links (empty: links are relative)")
    catalogue_url: str | None = Field(
        default=None, description="run catalogue URL (default: $VNAQI_CATALOGUE_URL, else <home>/catalogue.sqlite)"
    )
    cache: CacheSettings = Field(default_factory=CacheSettings)
    pages: PageSettings = Field(default_factory=PageSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    session: SessionSettings = Field(default_factory=SessionSettings)

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin {origin!r} must be '*' or start with http:// or https://")
        return [o.rstrip("/") for o in origins]

    @field_validator("base_url")
    @classmethod
    def _base(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {url!r} must start with http:// or https://")
        return url.rstrip("/")


class ApiConfigError(ValueError):
    """``api.yaml`` is missing or invalid."""


def load_api_settings(path: Path | None = None, home: Path | None = None) -> ApiSettings:
    """``path``, else ``<home>/api.yaml`` if it exists, else the packaged default."""
    if path is None:
        path = home / "api.yaml" if home is not None and (home / "api.yaml").is_file() else API_FILE
    return load_model(path, ApiSettings, ApiConfigError, "API settings")
