"""Readers of GNFR temporal-profile files: TNO (``;``, Latin-1, CRLF), Copernicus/CAMS (CSV), emiproc YAML.

All readers return factors as the files give them. TNO and Copernicus factors have mean 1 over the
24 hours / 7 days / 12 months; emiproc YAML profiles sum to 1 and are rescaled here to mean 1.

References
----------
Denier van der Gon, H. et al. (2011): Description of current temporal emission patterns and sensitivity
of predicted AQ for temporal emission patterns. TNO report, EU FP7 MACC deliverable D_D-EMIS_1.3.
Guevara, M. et al. (2019): Copernicus Atmosphere Monitoring Service TEMPOral profiles (CAMS-TEMPO),
GMD preprint gmd-2019-328, supplement.
emiproc (Empa, BSD-3-Clause), https://github.com/C2SM-RCM/emiproc: ``files/profiles/{tno,copernicus,yamls}``.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from configs.emissions import ALL_SECTORS, TNO_ROAD_SUBSECTORS, ProfileOverride, canonical_sector
from configs.errors import InputFileError

logger = logging.getLogger(__name__)

N_VALUES = {"month": 12, "weekday": 7, "hour": 24}
TNO_FILES = {
    "month": "timeprofiles-month-in-year_GNFR.csv",
    "weekday": "timeprofiles-day-in-week_GNFR.csv",
    "hour": "timeprofiles-hour-in-day_GNFR.csv",
}
COPERNICUS_FILES = {
    "month": "timeprofiles-month_in_year.csv",
    "weekday": "timeprofiles-day_in_week.csv",
    "hour": "timeprofiles-hour_in_day.csv",
}
DAY_TYPES = ("weekday", "saturday", "sunday")
"""Day types of hour-of-day profiles (index 0, 1, 2)."""


@dataclass(frozen=True, eq=False)
class SectorProfiles:
    """Temporal profiles per sector, as factors [1] (mean 1 over the cycle).

    Attributes
    ----------
    sectors : tuple of str
        Canonical sector keys, one per row of the arrays.
    month : ndarray, shape (sector, 12)
        Month-of-year factors, January first.
    weekday : ndarray, shape (sector, 7)
        Day-of-week factors, Monday first.
    hour : ndarray, shape (sector, 3, 24)
        Hour-of-day factors per day type (weekday, Saturday, Sunday); index ``h`` is the local hour
        ``h:00``–``h+1:00`` (the files' column ``h+1``).
    source : str
        Where the profiles came from.
    """

    sectors: tuple[str, ...]
    month: np.ndarray
    weekday: np.ndarray
    hour: np.ndarray
    source: str
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s: i for i, s in enumerate(self.sectors)})

    def row(self, sector: str) -> int:
        """Row of a sector given by any accepted name; ``KeyError`` naming it when unknown."""
        key = canonical_sector(sector)
        if key is None or key not in self._index:
            raise KeyError(f"unknown emission sector {sector!r}; known: {', '.join(self.sectors)}")
        return self._index[key]


def _text_lines(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(path, "profile file not found") from exc
    # The TNO files are Latin-1 (cp1252 dashes in comments); latin-1 decodes any byte.
    return raw.decode("latin-1").splitlines()


def _floats(path: Path, line_no: int, cells: list[str], n: int) -> np.ndarray:
    if len(cells) < n:
        raise InputFileError(path, f"expected {n} factors, found {len(cells)}", row=line_no)
    try:
        values = np.array([float(c) for c in cells[:n]], dtype="float64")
    except ValueError as exc:
        raise InputFileError(path, f"factor is not a number: {exc}", row=line_no) from exc
    if (values < 0).any() or not np.isfinite(values).all():
        raise InputFileError(path, "factors must be finite and >= 0", row=line_no)
    return values


def read_tno_profile(path: Path, kind: Literal["month", "weekday", "hour"]) -> dict[str, np.ndarray]:
    """One TNO GNFR profile file → ``{sector key: factors}``.

    Format: ``#`` comment block, a header starting with ``;``, then rows
    ``index;code;GNFR_Category_Name;v1;...;vn`` separated by ``;`` (Latin-1, CRLF). Rows are keyed by the
    category name (``A_PublicPower``, ``F_RoadTransport_exhaust_gasoline`` ...).
    """
    n = N_VALUES[kind]
    out: dict[str, np.ndarray] = {}
    for line_no, line in enumerate(_text_lines(path), start=1):
        if not line.strip() or line.startswith("#") or line.startswith(";"):
            continue
        cells = [c.strip() for c in line.split(";")]
        if len(cells) < 3:
            raise InputFileError(path, "expected index;code;name;factors...", row=line_no)
        key = canonical_sector(cells[2]) or canonical_sector(cells[1])
        if key is None:
            raise InputFileError(path, f"unknown GNFR category {cells[2]!r}", row=line_no, column="GNFR_Category_Name")
        out[key] = _floats(path, line_no, cells[3:], n)
    if not out:
        raise InputFileError(path, "no profile rows")
    return out


def read_copernicus_profile(path: Path, kind: Literal["month", "weekday", "hour"]) -> dict[str, np.ndarray]:
    """One Copernicus/CAMS profile file (``GNFR,Category,v1..vn``, comma separated) → ``{sector key: factors}``."""
    n = N_VALUES[kind]
    reader = csv.reader(io.StringIO("\n".join(_text_lines(path))))
    header = next(reader, None)
    if not header or [h.strip() for h in header[:2]] != ["GNFR", "Category"]:
        raise InputFileError(path, "header must start with GNFR,Category", row=1)
    out: dict[str, np.ndarray] = {}
    for line_no, cells in enumerate(reader, start=2):
        if not cells or not "".join(cells).strip():
            continue
        key = canonical_sector(cells[1]) or canonical_sector(cells[0])
        if key is None:
            raise InputFileError(path, f"unknown category {cells[1]!r}", row=line_no, column="Category")
        out[key] = _floats(path, line_no, cells[2:], n)
    return out


def _complete(rows: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    """Fill road transport: F from identical F1-F4 (TNO), or F1-F4 from F (Copernicus)."""
    subs = [rows[k] for k in TNO_ROAD_SUBSECTORS.values() if k in rows]
    if "F_RoadTransport" not in rows and subs:
        if any(not np.array_equal(s, subs[0]) for s in subs):
            logger.warning("%s: road sub-sector profiles differ; F_RoadTransport uses their mean", path)
        rows["F_RoadTransport"] = np.mean(subs, axis=0)
    for key in TNO_ROAD_SUBSECTORS.values():
        if key not in rows and "F_RoadTransport" in rows:
            rows[key] = rows["F_RoadTransport"]
    missing = [s for s in ALL_SECTORS if s not in rows]
    if missing:
        raise InputFileError(path, f"no profile for sector(s) {', '.join(missing)}")
    return rows


def read_profile_set(directory: Path, profile_set: Literal["tno", "copernicus"] = "tno") -> SectorProfiles:
    """Month, weekday and hour profiles of every GNFR sector from a TNO or Copernicus folder."""
    files = TNO_FILES if profile_set == "tno" else COPERNICUS_FILES
    reader = read_tno_profile if profile_set == "tno" else read_copernicus_profile
    tables = {}
    for kind, name in files.items():
        path = Path(directory) / name
        tables[kind] = _complete(reader(path, kind), path)  # type: ignore[arg-type]
    hour = np.stack([tables["hour"][s] for s in ALL_SECTORS])
    return SectorProfiles(
        sectors=ALL_SECTORS,
        month=np.stack([tables["month"][s] for s in ALL_SECTORS]),
        weekday=np.stack([tables["weekday"][s] for s in ALL_SECTORS]),
        hour=np.repeat(hour[:, None, :], len(DAY_TYPES), axis=1),
        source=f"{profile_set} profiles in {directory}",
    )


def _mean_one(values: list[float] | np.ndarray, path: Path, name: str) -> np.ndarray:
    array = np.asarray(values, dtype="float64")
    if array.ndim != 1 or (array < 0).any() or not np.isfinite(array).all() or array.sum() <= 0:
        raise InputFileError(path, "factors must be finite, >= 0 and not all zero", column=name)
    return array / array.mean()


def read_emiproc_yaml(path: Path) -> dict[str, np.ndarray]:
    """An emiproc-format YAML profile → ``{"month": (12,), "weekday": (7,), "hour": (3, 24)}``, mean 1.

    Keys read: ``season`` (12), ``week`` (7, Mon..Sun), and ``diurn`` (24) or ``diurn_weekday`` with
    ``diurn_saturday``/``diurn_sunday`` or ``diurn_weekend`` (hour 1 = 00-01 local). emiproc profiles sum to
    1; they are rescaled to mean 1. Missing keys are left out of the result (``years``/``trends`` are ignored).
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise InputFileError(path, "profile file not found") from exc
    except yaml.YAMLError as exc:
        raise InputFileError(path, f"not valid YAML: {exc}") from exc
    out: dict[str, np.ndarray] = {}
    for key, name, n in (("season", "month", 12), ("week", "weekday", 7)):
        if key in raw:
            if len(raw[key]) != n:
                raise InputFileError(path, f"needs {n} values, got {len(raw[key])}", column=key)
            out[name] = _mean_one(raw[key], path, key)
    day = {
        "weekday": raw.get("diurn_weekday", raw.get("diurn")),
        "saturday": raw.get("diurn_saturday", raw.get("diurn_weekend", raw.get("diurn"))),
        "sunday": raw.get("diurn_sunday", raw.get("diurn_weekend", raw.get("diurn"))),
    }
    if any(v is not None for v in day.values()):
        if any(v is None for v in day.values()):
            raise InputFileError(path, "diurnal profile missing for some day types", column="diurn")
        for name, values in day.items():
            if len(values) != 24:
                raise InputFileError(path, f"needs 24 values, got {len(values)}", column=f"diurn ({name})")
        out["hour"] = np.stack([_mean_one(day[t], path, f"diurn ({t})") for t in DAY_TYPES])
    return out


def apply_overrides(profiles: SectorProfiles, overrides: dict[str, ProfileOverride], base_dir: Path) -> SectorProfiles:
    """Profiles with the YAML overrides applied (each given list renormalised to mean 1).

    A file named in an override is read first; explicit lists in the override win over it.
    """
    if not overrides:
        return profiles
    month, weekday, hour = profiles.month.copy(), profiles.weekday.copy(), profiles.hour.copy()
    explicit = {canonical_sector(s) for s in overrides}
    targets = []
    for sector, override in overrides.items():
        key = canonical_sector(sector)
        targets.append((profiles.row(sector), sector, override))
        if key == "F_RoadTransport":  # road sub-sectors follow F unless overridden themselves
            targets += [(profiles.row(s), sector, override) for s in TNO_ROAD_SUBSECTORS.values() if s not in explicit]
    for row, sector, override in targets:
        if override.file is not None:
            path = Path(override.file)
            parts = read_emiproc_yaml(path if path.is_absolute() else base_dir / path)
            month[row] = parts.get("month", month[row])
            weekday[row] = parts.get("weekday", weekday[row])
            hour[row] = parts.get("hour", hour[row])
        where = Path(base_dir) / f"overrides.{sector}"
        if override.month_of_year is not None:
            month[row] = _mean_one(override.month_of_year, where, "month_of_year")
        if override.day_of_week is not None:
            weekday[row] = _mean_one(override.day_of_week, where, "day_of_week")
        if override.hour_of_day is not None:
            hour[row, :] = _mean_one(override.hour_of_day, where, "hour_of_day")
        for t, day_type in enumerate(DAY_TYPES):
            values = getattr(override, f"hour_of_day_{day_type}")
            if values is not None:
                hour[row, t] = _mean_one(values, where, f"hour_of_day_{day_type}")
        logger.debug("emission profile of %s overridden from emissions.yaml", profiles.sectors[row])
    return replace(profiles, month=month, weekday=weekday, hour=hour, source=profiles.source + " + overrides")
