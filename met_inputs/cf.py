"""CF discrete-sampling-geometry encoding of station × lead cubes (featureType timeSeries)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from configs.networks import Station
from configs.schema import CF_STANDARD_NAMES, LEAD, NWP_CF_ATTRIBUTES, STATION, VALID_TIME

LATITUDE_ATTRS = {"units": "degrees_north", "standard_name": "latitude"}
LONGITUDE_ATTRS = {"units": "degrees_east", "standard_name": "longitude"}


def _standard_name(name: str) -> str | None:
    base = name.removeprefix("ctm_").split("_q")[0]
    if base in CF_STANDARD_NAMES:
        return CF_STANDARD_NAMES[base]
    stripped = base.rstrip("0123456789")  # t850 -> t
    entry = NWP_CF_ATTRIBUTES.get(base) or NWP_CF_ATTRIBUTES.get(stripped)
    return entry[0] if entry else None


def cf_station_timeseries(
    cube: xr.Dataset, stations: Mapping[str, Station] | Sequence[Station], issue_time: pd.Timestamp, **attrs: Any
) -> xr.Dataset:
    """``cube`` (dims station, lead) with CF time-series coordinates and attributes for NetCDF.

    Adds ``station_id`` (``cf_role=timeseries_id``), ``latitude``/``longitude``,
    ``forecast_reference_time``; marks ``lead`` as ``forecast_period`` and ``valid_time`` as ``time``;
    sets ``standard_name`` where CF has one; ``attrs`` become global attributes (provenance).
    """
    by_id = stations if isinstance(stations, Mapping) else {s.id: s for s in stations}
    ids = [str(s) for s in cube[STATION].values]
    issue = pd.Timestamp(issue_time).tz_convert("UTC").tz_localize(None)
    out = cube.assign_coords(
        station_id=(STATION, ids, {"cf_role": "timeseries_id"}),
        latitude=(STATION, [by_id[s].latitude for s in ids], LATITUDE_ATTRS),
        longitude=(STATION, [by_id[s].longitude for s in ids], LONGITUDE_ATTRS),
        forecast_reference_time=((), np.datetime64(issue, "ns"), {"standard_name": "forecast_reference_time"}),
    )
    out = out.drop_vars([c for c in ("station_latitude", "station_longitude") if c in out.coords])
    out[LEAD].attrs.update(standard_name="forecast_period", units="hours")
    out[VALID_TIME].attrs.update(standard_name="time", long_name="end of the averaging hour (UTC)")
    for name in out.data_vars:
        standard = _standard_name(str(name))
        if standard:
            out[name].attrs["standard_name"] = standard
        out[name].attrs.setdefault("units", "1")
    out.attrs.update({"featureType": "timeSeries", "Conventions": "CF-1.8", **{k: str(v) for k, v in attrs.items()}})
    return out
