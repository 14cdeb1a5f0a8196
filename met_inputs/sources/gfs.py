"""NCEP GFS GRIB2 (``pgrb2.0p25`` and subsets of it), centre ``kwbc``.

Messages are recognised by GRIB2 discipline / parameterCategory / parameterNumber (NCEP names in
:data:`met_inputs.gribwrite.NCEP_PARAMETERS`) and level, as wgrib2 inventories name them, because
ecCodes' shortNames for NCEP fields change with the statistic (``DSWRF`` avg is ``msdwswrf``) and
ecCodes 2.38 does not know ``HPBL`` (local parameter 0-3-196, reported "unknown": its units are taken
from the NCEP table, m).

=========================  ======  ========================================================================
provider (wgrib2)          ours    rule
=========================  ======  ========================================================================
TMP/DPT:2 m above ground   t2m/d2m K
UGRD/VGRD:10 m a. g.       u10/v10 m s-1, earth-relative on the regular grid
PRES:surface               sp      Pa
PRMSL:mean sea level       msl     Pa
APCP:surface               tp      kg m-2 over 0-3, 0-6 h, 6-9, 6-12 h … buckets (or 0-N run totals when
                                   present, which are preferred): de-accumulated to mm per step interval
HPBL:surface               blh     m
TCDC:entire atmosphere     tcc     % (average over the same windows, de-averaged; instantaneous if coded so)
DSWRF:surface              ssrd    W m-2 average over the windows → mean over each step interval
HGT:surface                orog    gpm
TMP/UGRD/VGRD/RH/HGT:N mb  t u v r gh on isobaric levels
=========================  ======  ========================================================================

GFS has no APCP, DSWRF or (average) TCDC at f000: those are NaN at step 0, as the contract has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

import xarray as xr

from met_inputs.gribwrite import NCEP_PARAMETERS
from met_inputs.sources._contract import DEFAULT_OPTIONS, ReadOptions, build_dataset
from met_inputs.sources._gribread import PRESSURE_LEVEL_TYPES, GribField, decoder_attr, read_grib_fields
from met_inputs.sources._scan import scan_files

CONVENTION: Final = "gfs"


def _ncep(name: str) -> dict[str, int]:
    discipline, category, number = NCEP_PARAMETERS[name]
    return {"discipline": discipline, "parameterCategory": category, "parameterNumber": number}


_HAG: Final = ("heightAboveGround",)
_SFC: Final = ("surface",)
_WINDOWED: Final = ("instant", "avg")

FIELDS: Final[tuple[GribField, ...]] = (
    GribField("t2m", "TMP:2 m above ground", _ncep("TMP"), _HAG, level=2),
    GribField("d2m", "DPT:2 m above ground", _ncep("DPT"), _HAG, level=2),
    GribField("u10", "UGRD:10 m above ground", _ncep("UGRD"), _HAG, level=10),
    GribField("v10", "VGRD:10 m above ground", _ncep("VGRD"), _HAG, level=10),
    GribField("sp", "PRES:surface", _ncep("PRES"), _SFC),
    GribField("msl", "PRMSL:mean sea level", _ncep("PRMSL"), ("meanSea",)),
    GribField("tp", "APCP:surface", _ncep("APCP"), _SFC, step_types=("accum",)),
    GribField("blh", "HPBL:surface", _ncep("HPBL"), _SFC, default_units="m"),
    GribField("tcc", "TCDC:entire atmosphere", _ncep("TCDC"), ("atmosphere", "entireAtmosphere"), step_types=_WINDOWED),
    GribField("ssrd", "DSWRF:surface", _ncep("DSWRF"), _SFC, step_types=("avg", "instant")),
    GribField("orog", "HGT:surface", _ncep("HGT"), _SFC),
    GribField("t", "TMP:isobaric", _ncep("TMP"), PRESSURE_LEVEL_TYPES),
    GribField("u", "UGRD:isobaric", _ncep("UGRD"), PRESSURE_LEVEL_TYPES),
    GribField("v", "VGRD:isobaric", _ncep("VGRD"), PRESSURE_LEVEL_TYPES),
    GribField("r", "RH:isobaric", _ncep("RH"), PRESSURE_LEVEL_TYPES),
    GribField("gh", "HGT:isobaric", _ncep("HGT"), PRESSURE_LEVEL_TYPES),
)
"""How each variable is found in GFS GRIB2."""

VARIABLE_MAP: Final = MappingProxyType({f.provider: f.name for f in FIELDS})
"""Provider (NCEP ``VAR:level`` as wgrib2 writes it) → our variable name."""


def open_source(
    paths: Sequence[Path], options: ReadOptions = DEFAULT_OPTIONS, fields: Sequence[GribField] = FIELDS
) -> xr.Dataset:
    """Read GFS GRIB2 files of one cycle (``gfs.tCCz.pgrb2.0p25.fFFF`` or subsets) into the contract.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Files of one cycle, any number of steps per file.
    options : ReadOptions
        Variables wanted/required, expected cycle, levels, area.
    fields : sequence of GribField
        How variables are found (default :data:`FIELDS`).

    Returns
    -------
    xarray.Dataset
        See :mod:`met_inputs.sources` for the contract.
    """
    scans = scan_files(paths)
    raws = read_grib_fields(fields, scans, options)
    attrs = {"centre": "kwbc", "decoder": decoder_attr(scans, options)}
    return build_dataset(raws, paths=list(scans), convention=CONVENTION, options=options, attrs=attrs)
