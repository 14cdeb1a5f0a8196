"""Emission units → µg m-2 s-1, the unit of every emission flux and station index here.

Accepted (``/`` and ``**`` spellings too, e.g. ``kg/m2/s``, ``kg m**-2 s**-1``, ``Mg/year``):

* fluxes ``<mass> m-2 s-1``, ``<mass> m-2 yr-1``, ``<mass> km-2 s-1``, ``<mass> km-2 yr-1``;
* totals per grid cell ``<mass> yr-1``, ``<mass> s-1``, divided by the cell area
  (:func:`met_inputs.emissions.neighbourhood.cell_areas_m2`, sphere of radius 6371 km);

with ``<mass>`` one of ``ug g kg t`` (``t`` = ``Mg`` = tonne = 1e12 µg). A year is 365.25 days
(:data:`SECONDS_PER_YEAR` = 31 557 600 s). Examples: 1e-9 kg m-2 s-1 = 1 µg m-2 s-1;
1 t km-2 yr-1 = 1 kg m-2 yr-1 / 1000 = 0.0317 µg m-2 s-1.
"""

from __future__ import annotations

import re

import numpy as np

EMISSION_UNITS = "ug m-2 s-1"
"""CF spelling of µg m-2 s-1."""
SECONDS_PER_YEAR = 365.25 * 86400.0
"""Seconds in a (Julian) year [s]."""

_UG_PER = {"ug": 1.0, "g": 1e6, "kg": 1e9, "t": 1e12}
_TOKEN = {"Mg": "t", "tonnes": "t", "tonne": "t", "ton": "t", "tons": "t", "µg": "ug", "year": "yr", "a": "yr"}
# canonical unit -> (mass, area of the denominator: "m" | "km" | None for per-cell totals, time: "s" | "yr")
_UNITS = {
    f"{mass} {area}-2 {time}-1": (mass, area, time) for mass in _UG_PER for area in ("m", "km") for time in ("s", "yr")
}
_UNITS.update({f"{mass} {time}-1": (mass, None, time) for mass in _UG_PER for time in ("s", "yr")})


def canonical_units(text: str) -> str:
    """``"kg/m2/s"``, ``"kg m**-2 s**-1"``, ``"Mg/year"`` ... → ``"kg m-2 s-1"``, ``"t yr-1"`` (not checked)."""
    tokens = []
    for i, part in enumerate(str(text).strip().replace("**", "").replace("^", "").split("/")):
        for token in part.split():
            match = re.fullmatch(r"([A-Za-zµ]+)(-?\d+)?", token)
            if match is None:
                tokens.append(token)
                continue
            base, power = _TOKEN.get(match[1], match[1]), match[2]
            if i == 0:
                tokens.append(base + (power or ""))
            else:  # denominator: m2 -> m-2, s -> s-1
                tokens.append(f"{base}{-int(power) if power else -1}")
    return " ".join(tokens)


def unit_factor(units: str, cell_area_m2: np.ndarray | None = None) -> np.ndarray | float:
    """Factor converting values in ``units`` to µg m-2 s-1.

    Parameters
    ----------
    units : str
        Units string of the inventory variable.
    cell_area_m2 : ndarray, optional
        Cell areas [m²]; needed for per-cell totals, whose factor is then an array of the same shape.

    Raises
    ------
    ValueError
        Units not in the accepted list, or per-cell units without ``cell_area_m2``.
    """
    key = canonical_units(units)
    if key not in _UNITS:
        accepted = "kg m-2 s-1, g m-2 s-1, ug m-2 s-1, kg m-2 yr-1, t km-2 yr-1, kg km-2 yr-1, t yr-1, kg yr-1"
        raise ValueError(f"units {units!r} not understood; accepted: {accepted} (and '/' spellings)")
    mass, area, time = _UNITS[key]
    factor = _UG_PER[mass] / (SECONDS_PER_YEAR if time == "yr" else 1.0)
    if area == "km":
        return factor / 1e6
    if area == "m":
        return factor
    if cell_area_m2 is None:
        raise ValueError(f"units {units!r} are per grid cell: the cell area is needed")
    return factor / cell_area_m2
