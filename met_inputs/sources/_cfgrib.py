"""The cfgrib decoder of the readers: one ``filter_by_keys`` open per block, brought to step records.

Used for the files :mod:`._direct` does not decode (GRIB 1, Gaussian, reduced and projected grids,
ensembles, other product templates) and when ``decoder="cfgrib"`` is asked for. The block it returns is
the same intermediate as :func:`._direct.decode_block` gives (see :mod:`._direct`). cfgrib indexes go
to a temporary folder, never beside the (possibly read-only) input.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from configs.errors import InputFileError
from configs.schema import LATITUDE, LEVEL, LONGITUDE, STEP
from met_inputs.sources._fields import RECORD_FILE, RECORD_INIT
from met_inputs.sources._scan import GribMessage

logger = logging.getLogger("met_inputs.sources._gribread")


def _open_block(path: Path, filter_by_keys: dict[str, Any], index_dir: str) -> xr.DataArray:
    kwargs = {"filter_by_keys": filter_by_keys, "indexpath": f"{index_dir}/{abs(hash(str(path)))}.{{short_hash}}.idx"}
    try:
        with xr.open_dataset(
            path, engine="cfgrib", backend_kwargs={**kwargs, "errors": "raise"}, decode_timedelta=True
        ) as ds:
            names = list(ds.data_vars)
            if len(names) != 1:
                raise InputFileError(path, f"messages {filter_by_keys} give {len(names)} variables {names}, expected 1")
            return ds[names[0]].load()
    except InputFileError:
        raise
    except Exception as exc:  # cfgrib / ecCodes errors have many types
        raise InputFileError(path, f"cannot decode messages {filter_by_keys}: {type(exc).__name__}: {exc}") from exc


def _to_records(
    block: xr.DataArray, name: str, pressure: bool, path: Path, messages: Sequence[GribMessage]
) -> xr.DataArray | None:
    """Block of one file → dims (step, [level], geo) with one step record per message time (None: no level kept)."""
    level_type = messages[0].type_of_level
    if pressure:
        if level_type not in block.dims:
            block = block.expand_dims(level_type)
        hpa = block[level_type].values / (100.0 if level_type == "isobaricInPa" else 1.0)
        keep = np.isclose(hpa, np.round(hpa)) & (hpa >= 1)
        if not keep.all():
            logger.info("%s: %s levels below 1 hPa or not whole hPa skipped: %s", path, name, hpa[~keep])
        if not keep.any():
            return None
        block = block.isel({level_type: keep}).assign_coords({level_type: np.round(hpa[keep]).astype("int64")})
        block = block.rename({level_type: LEVEL})
    for dim in ("time", "step"):
        if dim not in block.dims:
            block = block.expand_dims(dim)
    if "number" in block.dims:
        raise InputFileError(path, f"field {name}: ensemble dimension in one hypercube")
    geo = ("y", "x") if "y" in block.dims else (LATITUDE, LONGITUDE)
    if not set(geo) <= set(block.dims):
        raise InputFileError(path, f"field {name}: grid not decoded to latitude/longitude (dims {block.dims})")
    rest = [LEVEL] if pressure else []
    block = block.transpose("time", "step", *rest, *geo)
    times, steps = np.meshgrid(block["time"].values, block["step"].values, indexing="ij")
    present = {(m.init_time, np.timedelta64(m.end_minutes, "m").astype("timedelta64[ns]")) for m in messages}
    wanted = np.array([(t, s) in present for t, s in zip(times.ravel(), steps.ravel(), strict=True)])
    values = block.values.reshape((-1, *block.shape[2:]))[wanted]
    coords = {c: block[c] for c in block.coords if set(block[c].dims) <= set(geo) and block[c].dims}
    coords.update({LEVEL: block[LEVEL]} if pressure else {})
    coords.update(
        {
            STEP: steps.ravel()[wanted],
            RECORD_INIT: (STEP, times.ravel()[wanted]),
            RECORD_FILE: (STEP, np.full(int(wanted.sum()), str(path), dtype=object)),
        }
    )
    return xr.DataArray(values, dims=(STEP, *rest, *geo), coords=coords)


def cfgrib_block(
    path: Path, filter_by_keys: dict[str, Any], index_dir: str, messages: Sequence[GribMessage], name: str,
    pressure: bool,
) -> xr.DataArray | None:  # fmt: skip
    """The block of ``messages`` (selected in ``path`` by ``filter_by_keys``), decoded by cfgrib.

    Returns
    -------
    xarray.DataArray or None
        See :mod:`._direct`; None when no pressure level is kept.
    """
    return _to_records(_open_block(path, filter_by_keys, index_dir), name, pressure, path, messages)
