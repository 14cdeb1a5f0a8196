"""The contract every reader returns, and the assembly of provider fields into it.

Contract (see ``docs/inputs.md``): an ``xarray.Dataset`` with dims ``(step, [level], latitude,
longitude)`` — or ``(step, [level], y, x)`` with 2-D ``latitude``/``longitude`` coordinates for projected
grids — scalar coordinate ``init_time`` (datetime64[ns], UTC), sorted ``step`` (timedelta64[ns]),
``valid_time(step) = init_time + step``, ``level`` [hPa] (int) for pressure-level fields, ascending
``latitude`` and ascending ``longitude`` in [-180, 180), variables named and in the units of
:data:`configs.schema.NWP_VARIABLES` / :data:`configs.schema.CTM_VARIABLES`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from configs.errors import InputFileError
from configs.schema import INIT_TIME, LATITUDE, LEVEL, LONGITUDE, STEP, VALID_TIME
from met_inputs.sources._fields import RECORD_FILE, RECORD_INIT, TARGET_UNITS, RawField, finish_field
from met_inputs.sources._grid import crop

logger = logging.getLogger(__name__)

Area = tuple[float, float, float, float]


@dataclass(frozen=True)
class ReadOptions:
    """What the caller wants from a source file set.

    Attributes
    ----------
    variables : tuple of str, optional
        Only these of our variable names (default: every variable the files provide).
    required : tuple of str
        Variables that must be present; a missing one is an error naming the files.
    expected_init_time : numpy.datetime64 or str, optional
        The cycle the files must belong to (UTC); another initial time is an error.
    levels : tuple of int, optional
        Pressure levels [hPa] to keep; a requested level missing from a pressure-level field is an error.
    area : (north, west, south, east), optional
        Crop to this box [degrees] (plus one grid cell of margin) as soon as each field is read.
    air_density : float or xarray.DataArray, optional
        Air density [kg m-3] for CTM mixing ratios; default: from pressure and temperature in the files.
    decoder : {"auto", "cfgrib"}
        GRIB decoding: ``auto`` decodes plain GRIB 2 regular lat-lon files directly with ecCodes and
        the others with cfgrib; ``cfgrib`` forces cfgrib for every file (same result, ~10× slower).
    """

    variables: tuple[str, ...] | None = None
    required: tuple[str, ...] = ()
    expected_init_time: np.datetime64 | str | None = None
    levels: tuple[int, ...] | None = None
    area: Area | None = None
    air_density: float | xr.DataArray | None = None
    decoder: Literal["auto", "cfgrib"] = "auto"

    def __post_init__(self) -> None:
        if self.decoder not in ("auto", "cfgrib"):
            raise ValueError(f"unknown decoder {self.decoder!r}; known: auto, cfgrib")

    def wants(self, name: str) -> bool:
        """Whether variable ``name`` is to be read."""
        return (self.variables is None or name in self.variables) or name in self.required


DEFAULT_OPTIONS = ReadOptions()
"""Everything the files provide, no checks beyond the contract."""


def resolve_steps(raws: Sequence[RawField]) -> tuple[np.datetime64, str]:
    """Give every field a step relative to one initial time; return it and the product kind.

    One initial time → a forecast. Several initial times all at step 0 (a sequence of analyses, e.g. a
    reanalysis) → ``"analysis"``: ``init_time`` is the first time and ``step = time − init_time``.
    Anything else mixes forecast cycles and is refused.
    """
    inits = np.unique(np.concatenate([r.data[RECORD_INIT].values for r in raws]))
    if len(inits) == 1:
        init, product = inits[0], "forecast"
    elif all((r.data[STEP].values == np.timedelta64(0, "ns")).all() for r in raws):
        init, product = inits[0], "analysis"
        for raw in raws:
            raw.data = raw.data.assign_coords({STEP: raw.data[RECORD_INIT].values - init})
    else:
        shown = ", ".join(str(pd.Timestamp(t)) for t in inits[:4])
        raise InputFileError(
            raws[0].path_at(), f"the files hold {len(inits)} forecast cycles ({shown} …); read one cycle at a time"
        )
    for raw in raws:
        steps = raw.data[STEP].values
        unique, counts = np.unique(steps, return_counts=True)
        if (counts > 1).any():
            twice = unique[counts > 1][0]
            files = sorted({str(f) for f in raw.data[RECORD_FILE].values[steps == twice]})
            raise InputFileError(
                files[0], f"field {raw.label}: step {twice / np.timedelta64(1, 'h'):g} h given twice (in {files})"
            )
    return np.datetime64(init, "ns"), product


def _align_steps(fields: dict[str, xr.DataArray], raws: dict[str, RawField]) -> dict[str, xr.DataArray]:
    all_steps = np.unique(np.concatenate([f[STEP].values for f in fields.values()]))
    zero = np.timedelta64(0, "ns")
    for name, data in fields.items():
        missing = np.setdiff1d(all_steps, data[STEP].values)
        if raws[name].kind != "instant":
            missing = missing[missing != zero]  # no interval at step 0: NaN by the contract
        if missing.size:
            hours = ", ".join(f"{m / np.timedelta64(1, 'h'):g}" for m in missing[:8])
            others = sorted(n for n in fields if n != name)
            raise InputFileError(
                raws[name].path_at(),
                f"field {raws[name].label} has no data for step(s) {hours} h that field(s) {', '.join(others)} have: "
                "mismatched steps (a file or message is missing)",
            )
    return {
        n: d if np.array_equal(d[STEP].values, all_steps) else d.reindex({STEP: all_steps}) for n, d in fields.items()
    }


def _align_levels(fields: dict[str, xr.DataArray], raws: dict[str, RawField], wanted) -> dict[str, xr.DataArray]:
    with_level = [n for n, d in fields.items() if LEVEL in d.dims]
    if not with_level:
        return fields
    levels = np.unique(np.concatenate([fields[n][LEVEL].values for n in with_level]))[::-1]
    if wanted is not None:
        for name in with_level:
            missing = sorted(set(wanted) - set(fields[name][LEVEL].values.tolist()))
            if missing:
                raise InputFileError(raws[name].path_at(), f"field {raws[name].label} lacks level(s) {missing} hPa")
        levels = np.array(sorted(wanted, reverse=True))
    for name in with_level:
        lacking = sorted(set(levels.tolist()) - set(fields[name][LEVEL].values.tolist()))
        if lacking:
            logger.warning("field %s lacks level(s) %s hPa that others have: NaN there", raws[name].label, lacking)
        fields[name] = fields[name].reindex({LEVEL: levels})
    return fields


def _normalise_grid(data: xr.DataArray) -> xr.DataArray:
    lon = data[LONGITUDE]
    data = data.assign_coords({LONGITUDE: ((lon + 180.0) % 360.0) - 180.0})
    if data[LATITUDE].ndim == 2:
        return data
    order = {c: np.argsort(data[c].values, kind="stable") for c in (LATITUDE, LONGITUDE)}
    moves: dict[str, np.ndarray | slice] = {c: o for c, o in order.items() if (o != np.arange(o.size)).any()}
    for c, o in list(moves.items()):
        if (o == np.arange(o.size)[::-1]).all():
            moves[c] = slice(None, None, -1)  # a plain reversal (north→south rows): a view, not a copy
    if moves:  # one reordering of the values, as sortby(latitude).sortby(longitude) gives them
        data = data.isel(moves)
    duplicated = pd.Index(data[LONGITUDE].values).duplicated()
    if duplicated.any():  # global grids repeating 0° as 360°
        data = data.isel({LONGITUDE: ~duplicated})
    return data


def _check_same_grid(fields: dict[str, xr.DataArray], raws: dict[str, RawField]) -> None:
    first_name = next(iter(fields))
    first = fields[first_name]
    for name, data in fields.items():
        same = all(
            data[c].shape == first[c].shape and np.allclose(data[c].values, first[c].values, atol=1e-6)
            for c in (LATITUDE, LONGITUDE)
        )
        if not same:
            raise InputFileError(
                raws[name].path_at(),
                f"field {raws[name].label} is on another grid ({data[LATITUDE].shape}x{data[LONGITUDE].shape}) "
                f"than field {raws[first_name].label} ({first[LATITUDE].shape}x{first[LONGITUDE].shape})",
            )


def build_dataset(
    raws: Sequence[RawField],
    *,
    paths: Sequence[Path],
    convention: str,
    options: ReadOptions,
    attrs: dict[str, str] | None = None,
    density: xr.DataArray | float | None = None,
) -> xr.Dataset:
    """Assemble provider fields into the contract Dataset and check it against ``options``.

    Raises
    ------
    configs.errors.InputFileError
        No usable field; several cycles; wrong cycle; mismatched steps; different grids; a missing
        required variable or level; bad units or values (see :func:`finish_field`).
    """
    present = {r.name for r in raws}
    missing = [v for v in options.required if v not in present]
    if missing or not raws:
        holds = ", ".join(f"{r.name} ← {r.provider}" for r in raws) or "no variable the service uses"
        what = f"required variable(s) {', '.join(missing)} not found" if missing else "no usable field"
        raise InputFileError(paths[0], f"{what} in {len(paths)} file(s) ({convention} convention); they hold: {holds}")
    init, product = resolve_steps(raws)
    if options.expected_init_time is not None:
        expected = np.datetime64(pd.Timestamp(options.expected_init_time).tz_localize(None), "ns")
        if expected != init:
            found, wanted = (f"{pd.Timestamp(t):%Y-%m-%dT%H}Z" for t in (init, expected))
            raise InputFileError(
                paths[0],
                f"file is for cycle {found}, not the expected {wanted}",
            )
    if options.area is not None:  # GRIB fields are cut as they are read; NetCDF ones here
        for raw in raws:
            try:
                raw.data = crop(raw.data, options.area)
            except ValueError as exc:
                raise InputFileError(raw.path_at(), f"field {raw.label}: {exc}") from exc
    by_name = {r.name: r for r in raws}
    fields = {r.name: _normalise_grid(finish_field(r, density)) for r in raws}
    fields = _align_steps(fields, by_name)
    fields = _align_levels(fields, by_name, options.levels)
    _check_same_grid(fields, by_name)
    ordered = {n: fields[n] for n in TARGET_UNITS if n in fields}
    ds = xr.Dataset(ordered)
    ds = ds.assign_coords({INIT_TIME: init, VALID_TIME: (STEP, ds[STEP].values + init)})
    if LEVEL in ds.dims:
        ds[LEVEL] = ds[LEVEL].astype("int64").assign_attrs(units="hPa", long_name="pressure level", positive="down")
    ds[INIT_TIME].attrs = {
        "long_name": "initial time of the forecast (UTC)",
        "standard_name": "forecast_reference_time",
    }
    ds[STEP].attrs = {"long_name": "time since init_time", "standard_name": "forecast_period"}
    ds[VALID_TIME].attrs = {"long_name": "time the value is valid for (UTC)", "standard_name": "time"}
    ds[LATITUDE].attrs = {"units": "degrees_north", "standard_name": "latitude"}
    ds[LONGITUDE].attrs = {"units": "degrees_east", "standard_name": "longitude"}
    ds.attrs = {
        "Conventions": "CF-1.8",
        "convention": convention,
        "product": product,
        "grid": "curvilinear" if ds[LATITUDE].ndim == 2 else "regular",
        "source_files": "; ".join(str(p) for p in paths),
        "history": f"read by met_inputs.sources ({convention} reader)",
        **(attrs or {}),
    }
    logger.info(
        "read %d variable(s), %d step(s) from %d file(s) (%s)", len(ordered), ds.sizes[STEP], len(paths), convention
    )
    return ds
