"""Emission temporal profiles and Vietnamese calendar effects: pydantic models for ``emissions.yaml``.

The packaged ``configs/emissions.yaml`` is the default. Relative paths in it are resolved against the
folder of the YAML file, so a copy in a service home may point at its own profile files.

Sectors are GNFR sectors (UNECE/EMEP Gridded NFR). Their canonical keys are the TNO category names
(``A_PublicPower`` … ``L_AgriOther``) with road transport as one sector ``F_RoadTransport``; the TNO
sub-sectors ``F1``–``F4`` keep their own keys. :func:`canonical_sector` also accepts the letter codes
and the Copernicus (CAMS) category names.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from configs import CONFIG_DIR
from configs.errors import InputFileError

EMISSIONS_FILE = CONFIG_DIR / "emissions.yaml"

GNFR_SECTORS: tuple[str, ...] = (
    "A_PublicPower",
    "B_Industry",
    "C_OtherStationaryComb",
    "D_Fugitives",
    "E_Solvents",
    "F_RoadTransport",
    "G_Shipping",
    "H_Aviation",
    "I_OffRoad",
    "J_Waste",
    "K_AgriLivestock",
    "L_AgriOther",
)
"""The 12 GNFR sectors, canonical keys."""

TNO_ROAD_SUBSECTORS: dict[str, str] = {
    "F1": "F_RoadTransport_exhaust_gasoline",
    "F2": "F_RoadTransport_exhaust_diesel",
    "F3": "F_RoadTransport_exhaust_LPG_gas",
    "F4": "F_RoadTransport_non-exhaust",
}
"""TNO splits road transport into four sub-sectors (code → key)."""

COPERNICUS_CATEGORIES: dict[str, str] = {
    "Public_Power": "A_PublicPower",
    "Industry": "B_Industry",
    "Other_Stationary_Combustion": "C_OtherStationaryComb",
    "Fugitives": "D_Fugitives",
    "Solvents": "E_Solvents",
    "Road_Transport": "F_RoadTransport",
    "Shipping": "G_Shipping",
    "Aviation": "H_Aviation",
    "Off_Road": "I_OffRoad",
    "Waste": "J_Waste",
    "Agricultural_Livestock": "K_AgriLivestock",
    "Agricultural_Other": "L_AgriOther",
}
"""Copernicus/CAMS category names (GMD preprint gmd-2019-328 supplement) → canonical key."""

ALL_SECTORS: tuple[str, ...] = GNFR_SECTORS + tuple(TNO_ROAD_SUBSECTORS.values())


def _sector_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for key in GNFR_SECTORS:
        aliases[key.lower()] = key
        aliases[key.split("_", 1)[0].lower()] = key  # letter code "A" ... "L"
    for code, key in TNO_ROAD_SUBSECTORS.items():
        aliases[code.lower()] = key
        aliases[key.lower()] = key
    for name, key in COPERNICUS_CATEGORIES.items():
        aliases[name.lower()] = key
    aliases["f_roadtransport_exhaust"] = "F_RoadTransport"
    return aliases


_SECTOR_ALIASES = _sector_aliases()


def canonical_sector(name: str) -> str | None:
    """Canonical sector key for a GNFR key, letter code, TNO ``F1``–``F4`` or Copernicus name, else None."""
    return _SECTOR_ALIASES.get(str(name).strip().lower())


def normalise_place(name: str) -> str:
    """Province name folded for matching: no diacritics, no case, no 'TP.'/'Tỉnh' prefix, no spaces.

    ``"Hà Nội"``, ``"Ha Noi"``, ``"Hanoi"`` and ``"TP. Hà Nội"`` all give ``"hanoi"``.
    """
    text = str(name).replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"^(tp\.?|thanh pho|tinh|city of)\s*", "", text.strip())
    return re.sub(r"[^a-z0-9]", "", text)


def _check_sectors(names: list[str] | dict[str, object]) -> None:
    unknown = [n for n in names if canonical_sector(n) is None]
    if unknown:
        raise ValueError(f"unknown sector(s) {unknown}; known: {', '.join(ALL_SECTORS)}")


class ProfileOverride(BaseModel):
    """Replacement profiles for one sector. Any list given replaces the base file's list.

    Lists are renormalised to mean 1. ``file`` reads an emiproc-format YAML profile (keys ``season``,
    ``week``, ``diurn`` or ``diurn_weekday``/``diurn_saturday``/``diurn_sunday``/``diurn_weekend``);
    explicit lists here win over the file.
    """

    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(default=None, description="emiproc-format YAML profile, relative to this YAML.")
    month_of_year: list[float] | None = Field(default=None, description="Jan..Dec factors [1].")
    day_of_week: list[float] | None = Field(default=None, description="Mon..Sun factors [1].")
    hour_of_day: list[float] | None = Field(default=None, description="24 local-hour factors, hour 1 = 00-01.")
    hour_of_day_weekday: list[float] | None = None
    hour_of_day_saturday: list[float] | None = None
    hour_of_day_sunday: list[float] | None = None

    @model_validator(mode="after")
    def _lengths(self) -> ProfileOverride:
        expected = {"month_of_year": 12, "day_of_week": 7}
        for name in ("hour_of_day", "hour_of_day_weekday", "hour_of_day_saturday", "hour_of_day_sunday"):
            expected[name] = 24
        for name, length in expected.items():
            values = getattr(self, name)
            if values is None:
                continue
            if len(values) != length:
                raise ValueError(f"{name}: needs {length} values, got {len(values)}")
            if any(v < 0 for v in values):
                raise ValueError(f"{name}: factors must be >= 0, got {min(values)}")
            if not any(v > 0 for v in values):
                raise ValueError(f"{name}: all factors are zero")
        return self


class _SectorFactors(BaseModel):
    """A ``factors`` mapping of GNFR sector → non-negative multiplier (validated once for all users)."""

    model_config = ConfigDict(extra="forbid")

    factors: dict[str, float] = Field(default_factory=dict, description="Multiplier per sector.")

    @field_validator("factors")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        _check_sectors(value)
        if any(v < 0 for v in value.values()):
            raise ValueError(f"factors must be >= 0, got {value}")
        return value


class TetConfig(_SectorFactors):
    """The Tết (Lunar New Year) block: traffic and industry slow down for about a week."""

    days_before: int = Field(default=2, ge=0, le=10, description="Block days before Tết day 1 (years not in file).")
    days_after: int = Field(default=4, ge=0, le=15, description="Block days after Tết day 1 (years not in file).")


class NewYearEveConfig(_SectorFactors):
    """Fireworks, incense and votive-paper burning on the night of Giao thừa (lunar New Year's Eve)."""

    start_hour: int = Field(default=22, ge=0, le=23, description="Local hour the spike starts on the eve.")
    end_hour: int = Field(default=2, ge=0, le=23, description="Local hour the spike ends on Tết day 1.")


class HolidayConfig(BaseModel):
    """Public holidays of Vietnam and how emissions respond."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(default="emission_profiles/vn_holidays.csv", description="date,holiday_name,is_tet_period")
    lunar_dates_file: str = Field(
        default="emission_profiles/vn_lunar_dates.csv", description="year,tet,hung_kings (years not in file)."
    )
    fixed_dates: list[str] = Field(
        default_factory=lambda: ["01-01", "04-30", "05-01", "09-02"],
        description="MM-DD solar holidays used for years the holiday file does not cover.",
    )
    like_sunday_sectors: list[str] = Field(default_factory=lambda: ["F_RoadTransport", "B_Industry"])
    tet: TetConfig = Field(default_factory=TetConfig)
    new_year_eve: NewYearEveConfig = Field(default_factory=NewYearEveConfig)

    @field_validator("like_sunday_sectors")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        _check_sectors(value)
        return value

    @field_validator("fixed_dates")
    @classmethod
    def _month_day(cls, value: list[str]) -> list[str]:
        for text in value:
            match = re.fullmatch(r"(\d\d)-(\d\d)", text)
            if not match or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
                raise ValueError(f"fixed date {text!r} is not MM-DD")
        return value


class OpenBurningConfig(BaseModel):
    """Crop-residue open burning: a season with monthly intensity in a region (provinces or a box)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    sectors: list[str] = Field(default_factory=lambda: ["L_AgriOther"], description="Sectors holding open burning.")
    share: float = Field(default=0.8, ge=0, le=1, description="Fraction of the sectors' emission due to burning.")
    monthly_intensity: dict[int, float] = Field(description="Month (1-12) → intensity 0-1; absent months are 0.")
    provinces: list[str] = Field(default_factory=list, description="Provinces of the burning region.")
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="South, West, North, East [degrees]; stations inside also count."
    )

    @field_validator("sectors")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        _check_sectors(value)
        return value

    @field_validator("monthly_intensity")
    @classmethod
    def _months(cls, value: dict[int, float]) -> dict[int, float]:
        for month, intensity in value.items():
            if not 1 <= month <= 12:
                raise ValueError(f"month {month} is not in 1..12")
            if not 0 <= intensity <= 1:
                raise ValueError(f"intensity {intensity} for month {month} is not in 0..1")
        if value and not any(v > 0 for v in value.values()):
            raise ValueError("all monthly intensities are zero")
        return value

    @field_validator("bbox")
    @classmethod
    def _box(cls, value: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if value is not None and not (value[0] < value[2] and value[1] < value[3]):
            raise ValueError(f"bbox {value} must be (south, west, north, east) with south < north, west < east")
        return value

    def in_region(self, province: str | None, latitude: float | None, longitude: float | None) -> bool:
        """Whether a place [degrees] lies in the burning region (province list or box)."""
        if province is not None and normalise_place(province) in {normalise_place(p) for p in self.provinces}:
            return True
        if self.bbox is not None and latitude is not None and longitude is not None:
            south, west, north, east = self.bbox
            return south <= latitude <= north and west <= longitude <= east
        return False


class EmissionProfilesConfig(BaseModel):
    """All temporal-profile settings (``emissions.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    profile_set: Literal["tno", "copernicus"] = Field(default="tno", description="Base GNFR profile files.")
    profiles_dir: str = Field(default="emission_profiles", description="Folder of the profile files.")
    overrides: dict[str, ProfileOverride] = Field(default_factory=dict, description="Per-sector replacements.")
    holidays: HolidayConfig = Field(default_factory=HolidayConfig)
    open_burning: OpenBurningConfig
    base_dir: Path = Field(default=CONFIG_DIR, exclude=True, description="Folder relative paths start from.")

    @field_validator("overrides")
    @classmethod
    def _known(cls, value: dict[str, ProfileOverride]) -> dict[str, ProfileOverride]:
        _check_sectors(value)
        return value

    def resolve(self, relative: str) -> Path:
        """A path of this config made absolute (relative to the YAML's folder)."""
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path


class EmissionsConfigError(InputFileError):
    """``emissions.yaml`` is missing or invalid; names the file, the field and the reason."""

    def __init__(self, path: Path | str, reason: str, *, field: str | None = None):
        self.field = field
        super().__init__(path, f"field {field!r}: {reason}" if field else reason)


def load_emission_config(path: Path | str | None = None) -> EmissionProfilesConfig:
    """Read and validate ``emissions.yaml`` (default: the packaged one).

    Raises
    ------
    EmissionsConfigError
        When the file is missing, is not YAML, or a value is invalid; the message names the file,
        the dotted field path (e.g. ``open_burning.monthly_intensity.13``) and the reason.
    """
    path = Path(path) if path is not None else EMISSIONS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EmissionsConfigError(path, "emissions file not found") from exc
    except yaml.YAMLError as exc:
        raise EmissionsConfigError(path, f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise EmissionsConfigError(path, "expected a mapping at the top level")
    try:
        return EmissionProfilesConfig.model_validate({**raw, "base_dir": path.resolve().parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise EmissionsConfigError(path, reasons, field=field) from exc
