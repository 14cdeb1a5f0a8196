"""What a gridded file holds, read from its headers: file kind, GRIB messages, grids, conventions.

The GRIB scan reads every message with ecCodes (headers only are decoded; values stay packed) so that
corrupt or truncated files, unsupported grids and mixed hypercubes are found *before* cfgrib builds
arrays, and so that the readers can open each hypercube with explicit ``filter_by_keys``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import eccodes
import numpy as np

from configs.errors import InputFileError

logger = logging.getLogger(__name__)

REGULAR_GRIDS: Final = frozenset({"regular_ll", "regular_gg"})
"""Grids returned with 1-D ``latitude``/``longitude`` dimension coordinates."""
CURVILINEAR_GRIDS: Final = frozenset(
    {"rotated_ll", "rotated_gg", "lambert", "lambert_azimuthal_equal_area", "albers", "polar_stereographic"}
)
"""Projected grids returned with dims ``(y, x)`` and 2-D ``latitude``/``longitude`` coordinates."""
UNSUPPORTED_GRID_REASONS: Final[dict[str, str]] = {
    "sh": "spherical harmonics (spectral coefficients, not grid-point values); transform to a lat-lon grid first",
    "reduced_gg": "reduced Gaussian grid (rows of different length); interpolate to a regular grid first",
    "reduced_ll": "reduced lat-lon grid (rows of different length); interpolate to a regular grid first",
    "unstructured_grid": "icosahedral/unstructured grid (ICON): points are listed in a separate grid file; "
    "remap to a regular grid first",
    "mercator": "Mercator grid: cfgrib gives no latitude/longitude for it",
    "space_view": "satellite space-view projection",
}
CHEMISTRY_CATEGORY: Final = 20  # GRIB2 discipline 0 category 20: atmospheric chemical constituents
CAMS_PARAM_IDS: Final = range(210001, 211000)  # ECMWF table 210: MACC/CAMS composition


@dataclass(frozen=True)
class GribMessage:
    """Header of one GRIB message (units as ecCodes spells them, steps in minutes)."""

    index: int
    offset: int
    edition: int
    centre: str
    discipline: int | None
    category: int | None
    number: int | None
    param_id: int
    short_name: str
    name: str
    units: str
    type_of_level: str
    level: int
    step_type: str
    start_minutes: int
    end_minutes: int
    init_time: np.datetime64
    grid_type: str
    grid: str
    n_points: int
    n_missing: int
    ensemble_member: int
    constituent_type: int | None = None
    uv_relative_to_grid: bool = False
    pv: tuple[float, ...] = ()
    template: int | None = None
    """GRIB2 product definition template number (None in GRIB1)."""
    scanning_mode: int | None = None

    @property
    def step_hours(self) -> str:
        """Step as a human reads it (``6``, ``0-6``, ``90m``)."""

        def fmt(minutes: int) -> str:
            return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes}m"

        if self.step_type == "instant" or self.start_minutes == self.end_minutes:
            return fmt(self.end_minutes)
        return f"{fmt(self.start_minutes)}-{fmt(self.end_minutes)}"


def file_kind(path: Path) -> str:
    """``"grib"``, ``"netcdf"`` or ``"unknown"`` from the first bytes of ``path``."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputFileError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if head.startswith((b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF")):
        return "netcdf"
    start = head.find(b"GRIB")
    while 0 <= start < 1024:  # allow a WMO bulletin header before the first message
        if len(head) > start + 7 and head[start + 7] in (1, 2):  # the edition number, a binary byte
            return "grib"
        start = head.find(b"GRIB", start + 1)
    return "unknown"


def _get(handle: int, key: str, default: Any = None) -> Any:
    try:
        if not eccodes.codes_is_defined(handle, key) or eccodes.codes_is_missing(handle, key):
            return default
        return eccodes.codes_get(handle, key)
    except eccodes.CodesInternalError:
        return default


def _grid_summary(handle: int, grid_type: str) -> str:
    if grid_type == "regular_ll":
        lat0, lat1 = _get(handle, "latitudeOfFirstGridPointInDegrees"), _get(handle, "latitudeOfLastGridPointInDegrees")
        lon0, lon1 = (
            _get(handle, "longitudeOfFirstGridPointInDegrees"),
            _get(handle, "longitudeOfLastGridPointInDegrees"),
        )
        di, dj = _get(handle, "iDirectionIncrementInDegrees"), _get(handle, "jDirectionIncrementInDegrees")
        return (
            f"regular_ll {_get(handle, 'Ni')}x{_get(handle, 'Nj')}, {di}°x{dj}°, "
            f"lat {lat0} … {lat1}, lon {lon0} … {lon1}"
        )
    if grid_type == "regular_gg":
        return f"regular_gg N{_get(handle, 'N')} ({_get(handle, 'Ni')}x{_get(handle, 'Nj')})"
    if grid_type in CURVILINEAR_GRIDS:
        dx = _get(handle, "DxInMetres") or _get(handle, "iDirectionIncrementInDegrees")
        return f"{grid_type} {_get(handle, 'Nx')}x{_get(handle, 'Ny')}, dx {dx}"
    return f"{grid_type}, {_get(handle, 'numberOfDataPoints')} points"


def _message(handle: int, index: int, offset: int) -> GribMessage:
    date, time = int(_get(handle, "dataDate", 0)), int(_get(handle, "dataTime", 0))
    init = np.datetime64(
        f"{date // 10000:04d}-{date // 100 % 100:02d}-{date % 100:02d}T{time // 100:02d}:{time % 100:02d}"
    )
    try:
        eccodes.codes_set(handle, "stepUnits", "m")
        start, end = int(eccodes.codes_get_long(handle, "startStep")), int(eccodes.codes_get_long(handle, "endStep"))
    except eccodes.CodesInternalError:  # GRIB1 ranges too long for minutes
        start, end = 60 * int(_get(handle, "startStep", 0)), 60 * int(_get(handle, "endStep", 0))
    grid_type = str(_get(handle, "gridType", "unknown"))
    type_of_level = str(_get(handle, "typeOfLevel", "unknown"))
    nv = int(_get(handle, "NV", 0) or 0)
    pv = tuple(float(x) for x in eccodes.codes_get_array(handle, "pv")) if nv and type_of_level == "hybrid" else ()
    flags = _get(handle, "resolutionAndComponentFlags", 0) or 0
    return GribMessage(
        index=index,
        offset=offset,
        edition=int(_get(handle, "edition", 0)),
        centre=str(_get(handle, "centre", "unknown")),
        discipline=_get(handle, "discipline"),
        category=_get(handle, "parameterCategory"),
        number=_get(handle, "parameterNumber"),
        param_id=int(_get(handle, "paramId", 0) or 0),
        short_name=str(_get(handle, "shortName", "unknown")),
        name=str(_get(handle, "name", "unknown")),
        units=str(_get(handle, "units", "unknown")),
        type_of_level=type_of_level,
        level=int(_get(handle, "level", 0) or 0),
        step_type=str(_get(handle, "stepType", "instant")),
        start_minutes=start,
        end_minutes=end,
        init_time=init.astype("datetime64[ns]"),
        grid_type=grid_type,
        grid=_grid_summary(handle, grid_type),
        n_points=int(_get(handle, "numberOfDataPoints", 0) or 0),
        n_missing=int(_get(handle, "numberOfMissing", 0) or 0),
        ensemble_member=int(_get(handle, "number", 0) or 0),
        constituent_type=_get(handle, "constituentType"),
        uv_relative_to_grid=bool(int(flags) & 8) if grid_type not in REGULAR_GRIDS else False,
        pv=pv,
        template=_get(handle, "productDefinitionTemplateNumber") if _get(handle, "edition") == 2 else None,
        scanning_mode=_get(handle, "scanningMode"),
    )


def scan_grib(path: Path, *, octets: bool = True) -> tuple[GribMessage, ...]:
    """Headers of every message of a GRIB file.

    With ``octets`` (default) a GRIB 2 message whose parameter, grid and context were already described
    in the file is described from its octets (:mod:`._fastscan`, ~100 times faster); the result is the same
    as with ecCodes keys for every message (``octets=False``), which is also used whenever the file's
    framing is not plain (truncation, corruption).

    Raises
    ------
    configs.errors.InputFileError
        The file holds no GRIB message, or a message is corrupt or truncated (with its number and byte
        offset). A partly readable file is refused rather than used in part.
    """
    kind = file_kind(path)
    if kind != "grib":
        raise InputFileError(
            path, f"not a GRIB file ({'NetCDF' if kind == 'netcdf' else 'no GRIB message at its start'})"
        )
    if octets:
        from met_inputs.sources._fastscan import scan_octets  # it describes new messages with _message

        found = scan_octets(path, _message)
        if found:
            return found
    messages: list[GribMessage] = []
    with open(path, "rb") as handle_file:
        while True:
            offset = handle_file.tell()
            try:
                handle = eccodes.codes_grib_new_from_file(handle_file)
            except eccodes.CodesInternalError as exc:
                raise InputFileError(
                    path,
                    f"corrupt or truncated GRIB: message {len(messages) + 1} (after byte {offset}) cannot be read: "
                    f"{exc}; {len(messages)} message(s) before it were readable",
                ) from exc
            if handle is None:
                break
            try:
                messages.append(_message(handle, len(messages), offset))
            finally:
                eccodes.codes_release(handle)
    if not messages:
        raise InputFileError(path, "no GRIB message in the file (not a GRIB file, or empty)")
    return tuple(messages)


def scan_files(paths: Sequence[Path]) -> dict[Path, tuple[GribMessage, ...]]:
    """Header scan of every file; a file whose messages are all on unsupported grids is refused."""
    scans = {}
    for path in map(Path, paths):
        messages = scan_grib(path)
        problems = sorted({grid_problem(m.grid_type) or "" for m in messages})
        if "" not in problems:
            raise InputFileError(path, f"cannot use: unsupported grid: {problems[0]}")
        scans[path] = messages
    return scans


def grid_problem(grid_type: str) -> str | None:
    """Why a GRIB grid type cannot be used, or None when the readers support it."""
    if grid_type in REGULAR_GRIDS or grid_type in CURVILINEAR_GRIDS:
        return None
    return UNSUPPORTED_GRID_REASONS.get(grid_type, f"grid type {grid_type!r} is not supported")


def is_chemistry(message: GribMessage) -> bool:
    """Whether a message is an atmospheric-composition field (CAMS table 210 or GRIB2 category 20)."""
    return message.param_id in CAMS_PARAM_IDS or (message.discipline == 0 and message.category == CHEMISTRY_CATEGORY)


def grib_convention(messages: tuple[GribMessage, ...]) -> str:
    """Reader convention from the GRIB keys: ``cams`` (composition), ``gfs`` (NCEP GRIB2) or ``ifs``.

    Chemistry parameters (ECMWF table 210, GRIB2 chemical-constituent category) → ``cams``; centre
    ``kwbc`` and edition 2 → ``gfs``; anything else (``ecmf`` and other centres, whose WMO-standard
    parameters ecCodes names with the same paramIds) → ``ifs``.
    """
    if any(is_chemistry(m) for m in messages):
        return "cams"
    if any(m.centre == "kwbc" and m.edition == 2 for m in messages):
        return "gfs"
    centres = sorted({m.centre for m in messages})
    if centres != ["ecmf"]:
        logger.info("centre(s) %s: reading with the ecCodes paramId map of the ifs convention", ", ".join(centres))
    return "ifs"
