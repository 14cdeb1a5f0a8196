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
    """Placeholder for the security step: not enforced yet (documented so a site can plan for it)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    requests_per_minute: int = Field(default=600, ge=1)


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
