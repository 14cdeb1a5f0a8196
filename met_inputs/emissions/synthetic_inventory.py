"""A small SYNTHETIC gridded emission inventory over Vietnam, for tests and the demo. Not real data.

Gaussian hot spots at Hanoi, Ho Chi Minh City and Hai Phong (traffic, residential, industry) and broad
agricultural areas over the Red River and Mekong deltas, on a faint background. Species follow fixed
ratios to PM2.5 per sector. Magnitudes are of a plausible order, nothing more.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr

from configs.schema import LATITUDE, LONGITUDE
from met_inputs.emissions.inventory import SECTOR_DIM, SPECIES
from met_inputs.emissions.neighbourhood import cell_areas_m2, haversine_km
from met_inputs.emissions.units import SECONDS_PER_YEAR

logger = logging.getLogger(__name__)

SYNTHETIC_LABEL = "SYNTHETIC emission inventory, not real data"
SYNTHETIC_SECTORS = ("F_RoadTransport", "C_OtherStationaryComb", "B_Industry", "L_AgriOther")

# (latitude, longitude [degrees], e-folding radius [km], {sector: peak PM2.5 flux [kg m-2 s-1]})
HOT_SPOTS = (
    (21.03, 105.85, 8.0, {"F_RoadTransport": 1.5e-9, "C_OtherStationaryComb": 2.0e-9, "B_Industry": 1.0e-9}),
    (10.78, 106.70, 10.0, {"F_RoadTransport": 1.8e-9, "C_OtherStationaryComb": 1.2e-9, "B_Industry": 1.4e-9}),
    (20.86, 106.68, 6.0, {"F_RoadTransport": 0.4e-9, "B_Industry": 2.0e-9}),
    (20.70, 106.00, 60.0, {"L_AgriOther": 2.0e-10}),
    (10.00, 105.80, 80.0, {"L_AgriOther": 2.5e-10}),
)
BACKGROUND_FRACTION = 0.01
"""Uniform background as a fraction of each sector's largest peak."""

# species / PM2.5 mass ratio per sector
RATIOS = {
    "F_RoadTransport": {"pm25": 1, "pm10": 1.3, "nox": 8, "so2": 0.1, "co": 30, "nh3": 0.05, "nmvoc": 6},
    "C_OtherStationaryComb": {"pm25": 1, "pm10": 1.1, "nox": 0.5, "so2": 0.5, "co": 15, "nh3": 0.05, "nmvoc": 2},
    "B_Industry": {"pm25": 1, "pm10": 1.5, "nox": 3, "so2": 6, "co": 3, "nh3": 0.02, "nmvoc": 1},
    "L_AgriOther": {"pm25": 1, "pm10": 1.2, "nox": 0.3, "so2": 0.05, "co": 10, "nh3": 5, "nmvoc": 1},
}


def synthetic_flux(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """PM2.5 flux per sector [kg m-2 s-1], shape (sector, lat, lon), sectors as :data:`SYNTHETIC_SECTORS`."""
    out = np.zeros((len(SYNTHETIC_SECTORS), lat.size, lon.size))
    for spot_lat, spot_lon, scale_km, peaks in HOT_SPOTS:
        dist = haversine_km(spot_lat, spot_lon, lat[:, None], lon[None, :])
        shape = np.exp(-((dist / scale_km) ** 2))
        for sector, peak in peaks.items():
            out[SYNTHETIC_SECTORS.index(sector)] += peak * shape
    return out + BACKGROUND_FRACTION * out.max(axis=(1, 2), keepdims=True)


def write_synthetic_inventory(
    path: str | Path,
    resolution_deg: float = 0.1,
    layout: Literal["stacked", "separate"] = "stacked",
    units: Literal["kg m-2 s-1", "t yr-1"] = "kg m-2 s-1",
    bbox: tuple[float, float, float, float] = (8.0, 102.0, 23.5, 110.0),
) -> Path:
    """Write the synthetic inventory NetCDF and return its path.

    Parameters
    ----------
    path : path
        Output file (``.nc``); folders are created.
    resolution_deg : float
        Grid spacing [degrees].
    layout : {"stacked", "separate"}
        One variable per species with a ``sector`` dimension, or one 2-D variable ``<species>_<sector>``
        per pair (the two layouts :func:`met_inputs.emissions.inventory.read_inventory` accepts).
    units : {"kg m-2 s-1", "t yr-1"}
        Flux, or total per grid cell per year (365.25 days).
    bbox : (south, west, north, east)
        Domain [degrees]; the default covers Vietnam.
    """
    south, west, north, east = bbox
    lat = np.round(np.arange(south + resolution_deg / 2, north, resolution_deg), 6)
    lon = np.round(np.arange(west + resolution_deg / 2, east, resolution_deg), 6)
    pm25 = synthetic_flux(lat, lon)
    to_units = cell_areas_m2(lat, lon) * SECONDS_PER_YEAR / 1e3 if units == "t yr-1" else 1.0
    coords = {
        LATITUDE: (LATITUDE, lat, {"units": "degrees_north"}),
        LONGITUDE: (LONGITUDE, lon, {"units": "degrees_east"}),
    }
    data_vars = {}
    for species in SPECIES:
        ratio = np.array([RATIOS[s][species] for s in SYNTHETIC_SECTORS])[:, None, None]
        values = pm25 * ratio * to_units
        attrs = {"units": units, "long_name": f"{species} emission (synthetic)"}
        if layout == "stacked":
            data_vars[species] = ((SECTOR_DIM, LATITUDE, LONGITUDE), values, attrs)
        else:
            for i, sector in enumerate(SYNTHETIC_SECTORS):
                data_vars[f"{species}_{sector}"] = ((LATITUDE, LONGITUDE), values[i], attrs)
    if layout == "stacked":
        coords[SECTOR_DIM] = (SECTOR_DIM, np.array(SYNTHETIC_SECTORS, dtype=object))
    ds = xr.Dataset(
        data_vars,
        coords=coords,
        attrs={
            "title": SYNTHETIC_LABEL,
            "synthetic": 1,
            "comment": "Made by met_inputs.emissions.synthetic_inventory",
            "layout": layout,
        },
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path)
    logger.info("wrote synthetic inventory %s (%d × %d cells, %s)", path, lat.size, lon.size, layout)
    return path
