"""Fast reader of regular lat/lon GRIB files: eccodes decodes each message straight into the output arrays.

Why not cfgrib: it reads every message header once per ``open_dataset`` (once per hypercube filter) and
then again to decode, and eccodes' *concept* keys (``shortName``, ``paramId``, ``cfVarName``) cost
150–350 µs per message and key. This reader makes two passes over a memory-mapped file:

1. **headers** — each GRIB 2 message is identified from its octets (:mod:`met_inputs.grib2raw`: discipline,
   centre, product definition with time and level blanked; step; pressure level; reference time; grid
   section). eccodes names each *distinct* identity once (``cfVarName``, ``typeOfLevel``, ``stepType``,
   units) and confirms the octet reading of step and level on that first message. Messages outside the
   plain cases (GRIB 1, other product templates, a disagreement) are identified by eccodes' ``paramId``,
   ``typeOfLevel`` and ``stepType`` instead (slower, any template) and decoded right away.
2. **values** — the output arrays are allocated once the axes are known, and every message is decoded
   (``codes_get_float_array``, or ``codes_get_values`` for float64) and written into its slot.

Output follows the gridded contract (:mod:`met_inputs.sources`): dims ``(step, [level], latitude,
longitude)``, scalar ``init_time``, ``valid_time(step)``, latitude and longitude ascending, longitude in
[-180, 180), ``level`` [hPa] for ``isobaricInhPa``/``isobaricInPa`` fields. Variables are named by eccodes'
``cfVarName`` (as cfgrib names them: ``t2m``, ``u10``, ``tp``, ``gh``) and keep their GRIB units and step
semantics (``step`` = end of an accumulation): unit conversion and de-accumulation belong to the readers.

Limits: one initial time and one regular_ll grid per file; no ensembles; a single-level field may not come
at several levels of a non-pressure level type (read such files with cfgrib and ``filter_by_keys``).
"""

from __future__ import annotations

import logging
import mmap
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import eccodes as ec
import numpy as np
import pandas as pd
import xarray as xr

from configs.schema import INIT_TIME, LATITUDE, LEVEL, LONGITUDE, STEP, VALID_TIME
from met_inputs.grib2raw import TIME_UNIT_HOURS, Grib2Header, parse_grib2, split_messages
from met_inputs.gribgrid import Grid, grid_of

logger = logging.getLogger(__name__)

__all__ = ["PRESSURE_LEVEL_TYPES", "read_grib"]

PRESSURE_LEVEL_TYPES = {"isobaricInhPa": 1.0, "isobaricInPa": 0.01}
"""Level types read onto the ``level`` dim, with the factor to hPa."""
Slot = tuple[float, float | None]
"""(step [h], level [hPa] or None)"""


@dataclass
class _Param:
    name: str
    type_of_level: str
    step_type: str
    attrs: dict[str, Any]
    slots: dict[Slot, tuple[int, int, bool] | np.ndarray] = field(default_factory=dict)
    """Per slot: (offset, length, bitmap) of a message still to decode, or its decoded values."""


@dataclass
class _Pass:
    """What the header pass over one file has learnt."""

    path: Path
    buffer: Any
    params: dict[tuple[str, str, str], _Param] = field(default_factory=dict)
    by_raw: dict[bytes, tuple[_Param, bool]] = field(default_factory=dict)
    by_keys: dict[tuple[Any, ...], _Param] = field(default_factory=dict)
    grid: Grid | None = None
    grid_raw: bytes | None = None
    init: tuple[int, int] | None = None

    def param(self, handle: Any) -> _Param:
        described = _describe(handle)
        return self.params.setdefault((described.name, described.type_of_level, described.step_type), described)

    def check_grid(self, handle: Any, name: str) -> None:
        if self.grid is None:
            self.grid = grid_of(handle, self.path)
        elif ec.codes_get_string(handle, "md5GridSection") != self.grid.md5:
            raise ValueError(f"{self.path}: {name} is on another grid than the first message")

    def check_init(self, init: tuple[int, int]) -> None:
        if self.init is None:
            self.init = init
        elif init != self.init:
            raise ValueError(f"{self.path}: several initial times ({self.init} and {init}); one cycle per file")

    def add(self, param: _Param, slot: Slot, entry: tuple[int, int, bool] | np.ndarray) -> None:
        if slot in param.slots:
            raise ValueError(f"{self.path}: {param.name} appears twice at step {slot[0]} h, level {slot[1]}")
        param.slots[slot] = entry


def read_grib(
    path: str | Path, variables: Collection[str] | None = None, dtype: type[np.floating] = np.float32
) -> xr.Dataset:
    """Decode every (wanted) message of a regular lat/lon GRIB file into one Dataset.

    Parameters
    ----------
    path : str or Path
        GRIB 1 or 2 file holding one initial time on one regular_ll grid.
    variables : collection of str, optional
        Keep only these names (eccodes ``cfVarName``); the values of other messages are not decoded.
    dtype : numpy floating type
        Value type of the arrays (float32 like cfgrib, or float64).

    Returns
    -------
    xarray.Dataset
        Dims ``(step, [level], latitude, longitude)``; NaN where a message is absent or a value is
        missing (bitmap).

    Raises
    ------
    ValueError
        Naming the file when it holds no (wanted) message, mixes initial times or grids, is not regular_ll,
        or repeats a message.
    """
    path = Path(path)
    wanted = None if variables is None else set(variables)
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: empty file, no GRIB messages")
    with path.open("rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
        state = _Pass(path, buffer)
        for offset, length, edition in split_messages(buffer):
            header = parse_grib2(buffer, offset, length) if edition == 2 else None
            _header_pass(state, offset, length, edition, header, wanted, dtype)
        if state.grid is None or state.init is None:
            raise ValueError(f"{path}: no GRIB messages" + (f" for {sorted(wanted)}" if wanted else ""))
        return _assemble(state, dtype)


def _header_pass(
    state: _Pass, offset: int, length: int, edition: int, header: Grib2Header | None, wanted: set[str] | None,
    dtype: Any,
) -> None:  # fmt: skip
    """Put one message in its slot: from its octets when they are trusted, else with eccodes keys."""
    known = state.by_raw.get(header.identity) if header is not None else None
    if known is not None and known[1]:
        param = known[0]
        if wanted is None or param.name in wanted:
            if header.grid != state.grid_raw or header.reference_time != state.init:
                _with_handle(state, offset, length, lambda h: state.check_grid(h, param.name))
                state.grid_raw = header.grid
                state.check_init(header.reference_time)
            level = header.level_hpa if param.type_of_level in PRESSURE_LEVEL_TYPES else None
            state.add(param, (header.step_hours, level), (offset, length, header.bitmap))
        return
    _with_handle(state, offset, length, lambda h: _slow_message(state, h, edition, header, wanted, dtype))


def _with_handle(state: _Pass, offset: int, length: int, action: Any) -> None:
    handle = ec.codes_new_from_message(state.buffer[offset : offset + length])
    try:
        action(handle)
    finally:
        ec.codes_release(handle)


def _slow_message(
    state: _Pass, handle: Any, edition: int, header: Grib2Header | None, wanted: set[str] | None, dtype: Any
) -> None:
    """A message whose octets are new or not trusted: name it, and decode it now if eccodes keys place it."""
    if header is not None and header.identity not in state.by_raw:
        param = state.param(handle)
        trusted = _octets_agree(handle, header, param, state.path)
        state.by_raw[header.identity] = (param, trusted)
        if trusted:
            if wanted is None or param.name in wanted:
                state.check_grid(handle, param.name)
                state.grid_raw = header.grid
                state.check_init(header.reference_time)
                level = header.level_hpa if param.type_of_level in PRESSURE_LEVEL_TYPES else None
                state.add(param, (header.step_hours, level), _values(handle, dtype, header.bitmap))
            return
    identity = _identity(handle, edition)
    param = state.by_keys.get(identity) or state.param(handle)
    state.by_keys[identity] = param
    if wanted is not None and param.name not in wanted:
        return
    state.check_grid(handle, param.name)
    state.check_init((ec.codes_get_long(handle, "dataDate"), ec.codes_get_long(handle, "dataTime")))
    slot = (_step_hours(handle, edition, param.step_type), _level_hpa(handle, param))
    state.add(param, slot, _values(handle, dtype, bool(ec.codes_get_long(handle, "bitmapPresent"))))


def _identity(handle: Any, edition: int) -> tuple[Any, ...]:
    """The parameter of a message whose octets were not read: eccodes' paramId (a concept, ~0.3 ms), level
    type and step type — slow but safe for any template."""
    return (
        edition,
        ec.codes_get_long(handle, "paramId"),
        ec.codes_get_string(handle, "typeOfLevel"),
        ec.codes_get_string(handle, "stepType"),
    )


def _step_hours(handle: Any, edition: int, step_type: str) -> float:
    if edition == 2 and step_type == "instant":
        unit = ec.codes_get_long(handle, "indicatorOfUnitOfTimeRange")
        return ec.codes_get_long(handle, "forecastTime") * TIME_UNIT_HOURS[unit]
    return ec.codes_get_long(handle, "endStep") * TIME_UNIT_HOURS[ec.codes_get_long(handle, "stepUnits")]


def _level_hpa(handle: Any, param: _Param) -> float | None:
    if param.type_of_level not in PRESSURE_LEVEL_TYPES:
        return None
    return ec.codes_get_double(handle, "level") * PRESSURE_LEVEL_TYPES[param.type_of_level]


def _octets_agree(handle: Any, header: Grib2Header, param: _Param, path: Path) -> bool:
    """Whether the octet reading of a new parameter matches eccodes (else its messages use eccodes keys)."""
    step = _step_hours(handle, 2, param.step_type)
    level = _level_hpa(handle, param)
    same_level = level is None or (header.level_hpa is not None and abs(level - header.level_hpa) < 1e-6)
    if abs(step - header.step_hours) > 1e-9 or not same_level:
        logger.warning("%s: octets of %s disagree with eccodes on step or level; using eccodes keys", path, param.name)
        return False
    return True


def _describe(handle: Any) -> _Param:
    name = ec.codes_get_string(handle, "cfVarName")
    if name in ("unknown", "~"):
        name = ec.codes_get_string(handle, "shortName")
    type_of_level = ec.codes_get_string(handle, "typeOfLevel")
    step_type = ec.codes_get_string(handle, "stepType")
    attrs = {
        "units": ec.codes_get_string(handle, "units"),
        "long_name": ec.codes_get_string(handle, "name"),
        "GRIB_paramId": ec.codes_get_long(handle, "paramId"),
        "GRIB_shortName": ec.codes_get_string(handle, "shortName"),
        "GRIB_typeOfLevel": type_of_level,
        "GRIB_stepType": step_type,
    }
    return _Param(name=name, type_of_level=type_of_level, step_type=step_type, attrs=attrs)


def _values(handle: Any, dtype: Any, bitmap: bool) -> np.ndarray:
    if np.dtype(dtype) == np.float32:
        values = ec.codes_get_float_array(handle, "values")
    else:
        values = ec.codes_get_values(handle).astype(dtype, copy=False)
    if bitmap:
        values[values == ec.codes_get_double(handle, "missingValue")] = np.nan
    return values


def _assemble(state: _Pass, dtype: Any) -> xr.Dataset:
    """Allocate the output arrays and decode (or copy) every message into its slot."""
    grid, path = state.grid, state.path
    assert grid is not None and state.init is not None
    params = [p for p in state.params.values() if p.slots]
    steps = sorted({slot[0] for p in params for slot in p.slots})
    levels = sorted({slot[1] for p in params for slot in p.slots if slot[1] is not None}, reverse=True)
    step_index = {s: i for i, s in enumerate(steps)}
    level_index = {lv: i for i, lv in enumerate(levels)}
    data_vars: dict[str, xr.Variable] = {}
    for param in params:
        on_levels = param.type_of_level in PRESSURE_LEVEL_TYPES
        shape = (len(steps), *((len(levels),) if on_levels else ()), *grid.shape)
        complete = len(param.slots) == int(np.prod(shape[:-2]))
        array = np.empty(shape, dtype=dtype) if complete else np.full(shape, np.nan, dtype=dtype)
        for (step, level), entry in param.slots.items():
            target = array[step_index[step], level_index[level]] if on_levels else array[step_index[step]]
            if isinstance(entry, np.ndarray):
                grid.place(entry, target)
            else:
                offset, length, bitmap = entry
                _with_handle(state, offset, length, lambda h, t=target, b=bitmap: grid.place(_values(h, dtype, b), t))
        param.slots.clear()
        name = param.name if param.name not in data_vars else f"{param.name}_{param.type_of_level}"
        if name in data_vars:
            raise ValueError(f"{path}: two different fields are both named {param.name!r}")
        dims = (STEP, LEVEL, LATITUDE, LONGITUDE) if on_levels else (STEP, LATITUDE, LONGITUDE)
        data_vars[name] = xr.Variable(dims, array, attrs=param.attrs)
    init_time = np.datetime64(pd.Timestamp(f"{state.init[0]:08d}T{state.init[1]:04d}").to_datetime64(), "ns")
    step_td = (np.asarray(steps, dtype=float) * 3.6e12).round().astype("timedelta64[ns]")
    coords: dict[str, Any] = {
        INIT_TIME: init_time,
        STEP: step_td,
        VALID_TIME: (STEP, init_time + step_td),
        LATITUDE: (LATITUDE, grid.latitude, {"units": "degrees_north"}),
        LONGITUDE: (LONGITUDE, grid.longitude, {"units": "degrees_east"}),
    }
    if levels:
        level_values = np.asarray(levels)
        if np.all(level_values == np.round(level_values)):
            level_values = level_values.astype(int)
        coords[LEVEL] = (LEVEL, level_values, {"units": "hPa"})
    logger.debug("%s: %d variables, %d steps, %d levels", path, len(data_vars), len(steps), len(levels))
    return xr.Dataset(data_vars, coords=coords, attrs={"source_file": str(path), "reader": "fastgrib"})
