"""ECMWF IFS (and ERA5) GRIB1/GRIB2, ECMWF open-data naming.

Messages are recognised by ``paramId`` (the same in GRIB1 and GRIB2), so files of other centres whose
parameters are WMO-standard (ecCodes gives them the same paramIds: COSMO ``2t``, CMC ``t``) read the
same way.

==============  ==========  ==============================  ========================================
provider        ours        provider units                  rule
==============  ==========  ==============================  ========================================
2t / 2d         t2m / d2m   K                               2 m (GRIB2) or "surface" (GRIB1)
10u / 10v       u10 / v10   m s**-1                         earth-relative on regular grids
sp / msl        sp / msl    Pa
tp              tp          m, accumulated since init       de-accumulated, × 1000 → mm per interval
                            (GRIB1: coded "instant", accumulated since init by definition)
tcc             tcc         (0 - 1) [164] or % [228164]     → fraction
ssrd            ssrd        J m**-2, accumulated since init de-accumulated / interval [s] → W m-2
blh             blh         m
z (surface)     orog        m**2 s**-2                      / g₀ = 9.80665
t u v r         t u v r     K, m s**-1, %                   isobaricInhPa (and whole-hPa isobaricInPa)
gh, z (pl)      gh          gpm, m**2 s**-2                 gh preferred; z / g₀
==============  ==========  ==============================  ========================================
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

import xarray as xr

from met_inputs.sources._contract import DEFAULT_OPTIONS, ReadOptions, build_dataset
from met_inputs.sources._gribread import PRESSURE_LEVEL_TYPES, GribField, decoder_attr, read_grib_fields
from met_inputs.sources._scan import scan_files

CONVENTION: Final = "ifs"
_SFC: Final = ("surface", "heightAboveGround")
_PL: Final = PRESSURE_LEVEL_TYPES

FIELDS: Final[tuple[GribField, ...]] = (
    GribField("t2m", "2t", {"paramId": 167}, _SFC),
    GribField("d2m", "2d", {"paramId": 168}, _SFC),
    GribField("u10", "10u", {"paramId": 165}, _SFC),
    GribField("v10", "10v", {"paramId": 166}, _SFC),
    GribField("sp", "sp", {"paramId": 134}, ("surface",)),
    GribField("msl", "msl", {"paramId": 151}, ("meanSea", "surface")),
    GribField("tp", "tp", {"paramId": 228}, ("surface",), step_types=("accum", "instant"), accumulated_from_init=True),
    GribField("tp", "tp [kg m-2]", {"paramId": 228228}, ("surface",), step_types=("accum",)),
    GribField("tcc", "tcc", {"paramId": 164}, ("surface", "entireAtmosphere")),
    GribField("tcc", "tcc [%]", {"paramId": 228164}, ("surface", "entireAtmosphere", "atmosphere")),
    GribField(
        "ssrd", "ssrd", {"paramId": 169}, ("surface",), step_types=("accum", "instant"), accumulated_from_init=True
    ),
    GribField("blh", "blh", {"paramId": 159}, ("surface",)),
    GribField("orog", "z", {"paramId": 129}, ("surface",)),
    GribField("orog", "orog", {"paramId": 228002}, ("surface",)),
    GribField("t", "t", {"paramId": 130}, _PL),
    GribField("u", "u", {"paramId": 131}, _PL),
    GribField("v", "v", {"paramId": 132}, _PL),
    GribField("r", "r", {"paramId": 157}, _PL),
    GribField("gh", "gh", {"paramId": 156}, _PL),
    GribField("gh", "z (pressure levels)", {"paramId": 129}, _PL),
)
"""How each variable is found, preferred spec first."""

VARIABLE_MAP: Final = MappingProxyType({f.provider: f.name for f in FIELDS})
"""Provider (ecCodes shortName) → our variable name."""


def open_source(
    paths: Sequence[Path], options: ReadOptions = DEFAULT_OPTIONS, fields: Sequence[GribField] = FIELDS
) -> xr.Dataset:
    """Read IFS-convention GRIB files of one cycle into the reader contract.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        GRIB1/GRIB2 files of one cycle (one per step, or several steps per file, in any order).
    options : ReadOptions
        Variables wanted/required, expected cycle, levels, area.
    fields : sequence of GribField
        How variables are found (default :data:`FIELDS`); pass others to map more parameters.

    Returns
    -------
    xarray.Dataset
        See :mod:`met_inputs.sources` for the contract.
    """
    scans = scan_files(paths)
    raws = read_grib_fields(fields, scans, options)
    centres = sorted({m.centre for msgs in scans.values() for m in msgs})
    editions = sorted({str(m.edition) for msgs in scans.values() for m in msgs})
    return build_dataset(
        raws,
        paths=list(scans),
        convention=CONVENTION,
        options=options,
        attrs={
            "centre": ", ".join(centres),
            "grib_edition": ", ".join(editions),
            "decoder": decoder_attr(scans, options),
        },
    )
