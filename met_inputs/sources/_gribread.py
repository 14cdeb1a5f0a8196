"""GRIB → :class:`RawField`: pick the messages of each variable from the header scan, decode each
hypercube (block) and bring it to ``(step, [level], lat, lon)``.

Files holding several hypercubes (level types, step types, editions) are thus read deterministically:
each (variable, level type, step type[, level][, window start]) is one block, decoded per file either
directly with ecCodes from the scanned messages (plain GRIB 2 on a regular lat-lon grid, :mod:`._direct`)
or by one cfgrib open with an explicit ``filter_by_keys`` (anything else, :mod:`._cfgrib`). Both give the
same intermediate; the grid checks, cropping, window bookkeeping and everything after are shared.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import xarray as xr

from configs.errors import InputFileError
from configs.schema import LATITUDE, LEVEL, LONGITUDE, STEP
from met_inputs.sources._cfgrib import cfgrib_block
from met_inputs.sources._contract import ReadOptions
from met_inputs.sources._direct import DIRECT, choose_decoder, decode_block, decoder_label
from met_inputs.sources._fields import RECORD_FILE, RECORD_INIT, RawField
from met_inputs.sources._grid import crop, regular_grid_problem
from met_inputs.sources._scan import GribMessage, grid_problem

logger = logging.getLogger(__name__)

PRESSURE_LEVEL_TYPES: Final = ("isobaricInhPa", "isobaricInPa")
_MESSAGE_KEYS: Final[dict[str, str]] = {
    "paramId": "param_id",
    "shortName": "short_name",
    "discipline": "discipline",
    "parameterCategory": "category",
    "parameterNumber": "number",
    "constituentType": "constituent_type",
}
_WIND: Final = frozenset({"u10", "v10", "u", "v"})


@dataclass(frozen=True)
class GribField:
    """How one of our variables is found among a provider's GRIB messages.

    Attributes
    ----------
    name : str
        Our variable name (``t2m``).
    provider : str
        The provider's name for it, as its documentation and inventories write it (``2t``, ``TMP:2 m``).
    keys : mapping
        GRIB keys identifying the parameter: ``paramId``, or ``discipline``/``parameterCategory``/
        ``parameterNumber`` [/``constituentType``].
    level_types : tuple of str
        Accepted ``typeOfLevel`` values, preferred first.
    level : int, optional
        Required level value for single-level fields (2 for 2 m, 10 for 10 m).
    step_types : tuple of str
        Accepted ``stepType`` values, preferred first (``instant``, ``accum``, ``avg``).
    default_units : str, optional
        Units to assume when ecCodes does not know the parameter (reports ``unknown``), from the
        provider's own parameter table.
    lowest_model_level : bool
        For ``hybrid`` levels: take the largest level number (the lowest model level).
    accumulated_from_init : bool
        Messages coded ``instant`` are accumulations since the initial time (ECMWF GRIB1 ``tp``,
        ``ssrd``: time-range indicator 0, the accumulation implied by the parameter).
    """

    name: str
    provider: str
    keys: Mapping[str, Any]
    level_types: tuple[str, ...]
    level: int | None = None
    step_types: tuple[str, ...] = ("instant",)
    default_units: str | None = None
    lowest_model_level: bool = False
    accumulated_from_init: bool = False

    @property
    def pressure(self) -> bool:
        return any(t in PRESSURE_LEVEL_TYPES for t in self.level_types)

    def matches(self, message: GribMessage) -> bool:
        """Whether ``message`` is this field (any accepted level type and step type)."""
        if message.type_of_level not in self.level_types or message.step_type not in self.step_types:
            return False
        if self.level is not None and not self.pressure and message.level != self.level:
            return False
        return all(getattr(message, _MESSAGE_KEYS[k]) == v for k, v in self.keys.items())


def match_message(fields: Sequence[GribField], message: GribMessage) -> GribField | None:
    """The first field spec matching ``message``, or None (the message is not used)."""
    return next((f for f in fields if f.matches(message)), None)


def _select(spec: GribField, scans: Mapping[Path, Sequence[GribMessage]]) -> dict[Path, list[GribMessage]]:
    """Messages of ``spec`` per file, reduced to one level type, step type and (single-level) level."""
    found = [m for msgs in scans.values() for m in msgs if spec.matches(m)]
    if not found:
        return {}
    step_type = next(t for t in spec.step_types if any(m.step_type == t for m in found))
    found = [m for m in found if m.step_type == step_type]
    if not spec.pressure:
        level_type = next(t for t in spec.level_types if any(m.type_of_level == t for m in found))
        found = [m for m in found if m.type_of_level == level_type]
        levels = sorted({m.level for m in found})
        if spec.lowest_model_level and level_type == "hybrid":
            found = [m for m in found if m.level == levels[-1]]
        elif len(levels) > 1:
            raise InputFileError(
                _file_of(scans, found[0]),
                f"field {spec.name} ({spec.provider}) found on several {level_type} levels {levels}",
            )
    ids = {id(m) for m in found}
    return {p: [m for m in msgs if id(m) in ids] for p, msgs in scans.items() if any(id(m) in ids for m in msgs)}


def _file_of(scans: Mapping[Path, Sequence[GribMessage]], message: GribMessage) -> Path:
    return next(p for p, msgs in scans.items() if any(m is message for m in msgs))


def _check_messages(spec: GribField, path: Path, messages: list[GribMessage]) -> list[GribMessage]:
    label = f"{spec.name} ({spec.provider})"
    for m in messages:
        problem = grid_problem(m.grid_type)
        if problem:
            raise InputFileError(path, f"field {label}: unsupported grid: {problem}")
        if spec.name in _WIND and m.uv_relative_to_grid:
            raise InputFileError(path, f"field {label}: winds are relative to the {m.grid_type} grid, not to the earth")
    members = sorted({m.ensemble_member for m in messages})
    if len(members) > 1:
        raise InputFileError(path, f"field {label}: {len(members)} ensemble members; give one member per file set")
    # several windows ending at the same step (GFS bucket 6-9 and run total 0-9): keep the longest
    by_end: dict[tuple, GribMessage] = {}
    for m in sorted(messages, key=lambda m: m.start_minutes, reverse=True):
        by_end[(m.init_time, m.end_minutes, m.type_of_level, m.level)] = m
    return list(by_end.values())


def file_decoders(scans: Mapping[Path, Sequence[GribMessage]], options: ReadOptions) -> dict[Path, str]:
    """The decoder of each scanned file (:func:`._direct.choose_decoder`, honouring ``options.decoder``)."""
    return {path: choose_decoder(messages, options.decoder, path) for path, messages in scans.items()}


def decoder_attr(scans: Mapping[Path, Sequence[GribMessage]], options: ReadOptions) -> str:
    """The ``decoder`` attribute of a GRIB file set: ``eccodes-direct``, ``cfgrib`` or both joined by ``+``."""
    return decoder_label(list(file_decoders(scans, options).values()))


def read_grib_fields(
    fields: Sequence[GribField],
    scans: Mapping[Path, Sequence[GribMessage]],
    options: ReadOptions,
) -> list[RawField]:
    """Every wanted variable of ``fields`` found in the scanned files, as :class:`RawField`.

    The first spec of a variable that has messages wins (e.g. ``gh`` before ``z`` on pressure levels).
    """
    raws: list[RawField] = []
    done: set[str] = set()
    decoders = file_decoders(scans, options)
    with tempfile.TemporaryDirectory(prefix="vnaqi-cfgrib-") as index_dir:
        for spec in fields:
            if spec.name in done or not options.wants(spec.name):
                continue
            per_file = _select(spec, scans)
            if not per_file:
                continue
            blocks: list[xr.DataArray] = []
            starts: list[np.ndarray] = []
            units: set[str] = set()
            for path, messages in per_file.items():
                messages = _check_messages(spec, path, messages)
                units.update(m.units for m in messages)
                block = _read_file(spec, path, messages, index_dir, options, decoders[path])
                if block is None:
                    continue
                blocks.append(block)
                from_init = spec.accumulated_from_init and messages[0].step_type == "instant"
                window = {(m.init_time, m.end_minutes): 0 if from_init else m.start_minutes for m in messages}
                ends = (block[STEP].values / np.timedelta64(1, "m")).astype(int)
                starts.append(
                    np.array([window[(t, e)] for t, e in zip(block[RECORD_INIT].values, ends, strict=True)]) * 60
                )
            if not blocks:
                continue
            _check_same_grid(spec, blocks)
            data = xr.concat(blocks, dim=STEP, coords="minimal", compat="override", join="outer")
            unit = _one_unit(spec, units, next(iter(per_file)))
            step_type = next(iter(per_file.values()))[0].step_type  # one step type per field (see _select)
            kind = step_type if step_type in ("accum", "avg") else "instant"
            if spec.accumulated_from_init and step_type == "instant":
                kind = "accum"
            window_starts = np.concatenate(starts).astype("timedelta64[s]").astype("timedelta64[ns]")
            first = next(iter(per_file.values()))[0]
            notes = {} if spec.pressure else {"grib_level": f"{first.type_of_level} {first.level}"}
            starts_or_none = window_starts if kind != "instant" else None
            raws.append(RawField(spec.name, spec.provider, data, unit, kind, starts_or_none, notes))
            done.add(spec.name)
    return raws


def _read_file(
    spec: GribField, path: Path, messages: list[GribMessage], index_dir: str, options: ReadOptions, decoder: str
) -> xr.DataArray | None:
    """One file's messages of ``spec``: one block per level type (and window start), by ``decoder``."""
    parts = []
    for level_type in sorted({m.type_of_level for m in messages}):
        subset = [m for m in messages if m.type_of_level == level_type]
        keys: dict[str, Any] = {**spec.keys, "typeOfLevel": level_type, "stepType": subset[0].step_type}
        if not spec.pressure:
            keys["level"] = subset[0].level
        groups: list[tuple[dict[str, Any], list[GribMessage]]] = [(keys, subset)]
        if subset[0].step_type in ("accum", "avg"):  # a file may hold several windows ending at one step
            starts = sorted({m.start_minutes for m in subset})
            groups = [({**keys, "startStep": s // 60}, [m for m in subset if m.start_minutes == s]) for s in starts]
        if decoder == DIRECT:
            blocks = [decode_block(path, g, spec.name, spec.pressure) for _, g in groups]
        else:
            blocks = [cfgrib_block(path, k, index_dir, g, spec.name, spec.pressure) for k, g in groups]
        blocks = [b for b in blocks if b is not None]
        if not blocks:
            continue
        block = blocks[0] if len(blocks) == 1 else xr.concat(blocks, dim=STEP)
        problem = regular_grid_problem(block, subset[0].grid_type)
        if problem:
            raise InputFileError(path, f"field {spec.name} ({spec.provider}): inconsistent grid: {problem}")
        if options.area:
            try:
                block = crop(block, options.area)
            except ValueError as exc:
                raise InputFileError(path, f"field {spec.name} ({spec.provider}): {exc}") from exc
        parts.append(block)
    if len(parts) <= 1:
        return parts[0] if parts else None
    return xr.concat(parts, dim=LEVEL).sortby(LEVEL, ascending=False)


def _check_same_grid(spec: GribField, blocks: list[xr.DataArray]) -> None:
    first = blocks[0]
    for block in blocks[1:]:
        for coord in (LATITUDE, LONGITUDE):
            if block[coord].shape != first[coord].shape or not np.allclose(block[coord], first[coord], atol=1e-6):
                raise InputFileError(
                    block[RECORD_FILE].values[0],
                    f"field {spec.name} ({spec.provider}) is on another grid than in {first[RECORD_FILE].values[0]}",
                )


def _one_unit(spec: GribField, units: set[str], path: Path) -> str | None:
    known = {u for u in units if u not in ("unknown", "")}
    if len(known) > 1:
        raise InputFileError(path, f"field {spec.name} ({spec.provider}): messages disagree on units {sorted(known)}")
    return known.pop() if known else spec.default_units
