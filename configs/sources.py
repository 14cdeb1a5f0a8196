"""Input sources of a forecast cycle (NWP, CTM, emissions): pydantic models for ``sources.yaml``.

The packaged ``configs/sources.yaml`` is the default; ``<home>/sources.yaml`` replaces it for one
installation. Fetched files land in ``<home>/<inputs_dir>/<cycle>/<source name>/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from configs import CONFIG_DIR
from configs.yamlfile import load_model

SOURCES_FILE = CONFIG_DIR / "sources.yaml"

SourceKind = Literal["ecmwf-opendata", "gfs", "cams-ads", "local"]
SourceRole = Literal["nwp", "ctm"]


class SourceConfig(BaseModel):
    """One gridded source (an NWP or CTM feed) and how to get it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Folder name under the cycle's inputs.")
    role: SourceRole
    kind: SourceKind = Field(description="Which fetcher gets it; 'local' reads files already on disk.")
    enabled: bool = True
    priority: int = Field(default=0, description="Lower is preferred when several sources give the same field.")
    base_url: str | None = Field(default=None, description="Root URL of the provider (overridable for mirrors/tests).")
    path_pattern: str | None = Field(
        default=None,
        description="For kind 'local': glob with strftime fields of the cycle, e.g. /data/gfs/%Y%m%d/%H/*.grib2",
    )
    steps_h: list[int] = Field(default_factory=lambda: list(range(0, 73, 3)), description="Forecast steps [h].")
    params: list[str] = Field(default_factory=list, description="Provider parameter names to request.")
    levels_hpa: list[int] = Field(default_factory=list, description="Pressure levels to request [hPa].")
    area: tuple[float, float, float, float] = Field(
        default=(24.0, 101.0, 8.0, 110.0), description="North, West, South, East [degrees] (Vietnam by default)."
    )
    available_after_h: float = Field(default=6.0, ge=0, description="Hours after the cycle when data are complete.")
    retries: int = Field(default=3, ge=0)
    timeout_s: float = Field(default=60.0, gt=0)
    options: dict[str, Any] = Field(default_factory=dict, description="Fetcher-specific settings.")

    @model_validator(mode="after")
    def _local_needs_pattern(self) -> SourceConfig:
        if self.kind == "local" and not self.path_pattern:
            raise ValueError(f"source {self.name!r}: kind 'local' needs path_pattern")
        return self


class EmissionsConfig(BaseModel):
    """Emission inputs: an optional gridded inventory and the temporal-profile settings."""

    model_config = ConfigDict(extra="forbid")

    inventory_path: str | None = Field(default=None, description="Gridded inventory NetCDF (sector × species).")
    profiles: str = Field(default="emissions.yaml", description="Temporal profiles YAML, relative to configs/.")
    radius_km: float = Field(default=10.0, gt=0, description="Neighbourhood reduced to a station index [km].")


class SourcesConfig(BaseModel):
    """All input sources of the service."""

    model_config = ConfigDict(extra="forbid")

    inputs_dir: str = "inputs"
    sources: list[SourceConfig]
    emissions: EmissionsConfig = Field(default_factory=EmissionsConfig)

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesConfig:
        names = [s.name for s in self.sources]
        duplicated = {n for n in names if names.count(n) > 1}
        if duplicated:
            raise ValueError(f"duplicate source name(s): {', '.join(sorted(duplicated))}")
        return self

    def by_role(self, role: SourceRole) -> list[SourceConfig]:
        """Enabled sources of one role, preferred first."""
        return sorted((s for s in self.sources if s.enabled and s.role == role), key=lambda s: s.priority)


class SourcesConfigError(ValueError):
    """``sources.yaml`` is missing or invalid."""


def load_sources(path: Path | None = None, home: Path | None = None) -> SourcesConfig:
    """``path``, else ``<home>/sources.yaml`` if it exists, else the packaged default."""
    if path is None:
        path = home / "sources.yaml" if home is not None and (home / "sources.yaml").is_file() else SOURCES_FILE
    return load_model(path, SourcesConfig, SourcesConfigError, "sources")
