"""One reader per observation source, all returning the same contract (pvlib ``iotools`` style).

Each module names its source's columns in ``VARIABLE_MAP`` (source name → our key), converts units
at the edge and states its time convention in its docstring. :data:`FORMATS` lists them in the
order :func:`met_inputs.observations.detect.read_observation_file` tries them; adding a source
means adding a module and a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from configs.networks import StationRegistry
from met_inputs.observations.readers import (
    beijing_multisite,
    beijing_usembassy,
    generic,
    stateair,
    visualcrossing,
)
from met_inputs.observations.readers._common import ReaderResult


@dataclass(frozen=True)
class Format:
    """A known file format: how to recognise its header and how to read it."""

    name: str
    description: str
    matches: Callable[[frozenset[str]], bool]
    missing_columns: Callable[[frozenset[str]], list[str]]
    read: Callable[[Path, pd.DataFrame, StationRegistry, str | None], ReaderResult]


FORMATS: tuple[Format, ...] = (
    Format(
        beijing_multisite.FORMAT,
        beijing_multisite.DESCRIPTION,
        beijing_multisite.matches,
        beijing_multisite.missing_columns,
        beijing_multisite.read,
    ),
    Format(
        beijing_usembassy.FORMAT,
        beijing_usembassy.DESCRIPTION,
        beijing_usembassy.matches,
        beijing_usembassy.missing_columns,
        beijing_usembassy.read,
    ),
    Format(stateair.FORMAT, stateair.DESCRIPTION, stateair.matches, stateair.missing_columns, stateair.read),
    Format(
        visualcrossing.FORMAT,
        visualcrossing.DESCRIPTION,
        visualcrossing.matches,
        visualcrossing.missing_columns,
        visualcrossing.read,
    ),
    Format(
        generic.FORMAT_LONG,
        generic.DESCRIPTION_LONG,
        generic.matches_long,
        generic.missing_long,
        generic.read,
    ),
    Format(
        generic.FORMAT_WIDE,
        generic.DESCRIPTION_WIDE,
        generic.matches_wide,
        generic.missing_wide,
        generic.read,
    ),
)

__all__ = ["FORMATS", "Format", "ReaderResult"]
