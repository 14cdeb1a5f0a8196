"""ECMWF IFS real-time open data, by byte ranges from the ``.index`` file of each step (kind ``ecmwf-opendata``).

The provider's layout (ECMWF, "Find out how to access ECMWF real-time open data", file-naming
convention)::

    [ROOT]/[yyyymmdd]/[HH]z/[model]/[resol]/[stream]/[yyyymmdd][HH]0000-[step][U]-[stream]-[type].grib2

e.g. ``https://data.ecmwf.int/forecasts/20261122/00z/ifs/0p25/oper/20261122000000-24h-oper-fc.grib2``.
Beside every GRIB file an ``.index`` file (same name, suffix ``.index``) holds one JSON object per
GRIB message::

    {"domain": "g", "date": "20261122", "time": "0000", "expver": "0001", "class": "od", "type": "fc",
     "stream": "oper", "step": "24", "levtype": "pl", "levelist": "850", "param": "t",
     "_offset": 6699726, "_length": 609046}

We read the index, keep the messages of ``params`` (ECMWF short names: ``2t 10u msl tp t gh …``) —
pressure-level ones (``levtype pl``) only at ``levels_hpa`` — and fetch just their bytes. The
``ecmwf-opendata`` package is not needed (it does the same thing).

Options (``sources.yaml`` ``options``): ``model`` (``ifs``), ``resolution`` (``0p25``), ``stream``
(``oper``; ``scda`` for 06/18 UTC cycles produced before IFS cycle 50r1), ``type`` (``fc``).
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from configs.sources import SourceConfig
from met_inputs.fetch.base import FetchContext, IndexedMessage, fetch_indexed_steps, require
from met_inputs.fetch.errors import FetchError

__all__ = ["fetch", "parse_index", "select_messages", "step_urls", "validate"]

log = logging.getLogger(__name__)

DEFAULT_OPTIONS = {"model": "ifs", "resolution": "0p25", "stream": "oper", "type": "fc"}


def validate(source: SourceConfig) -> None:
    """Check that ``source`` names a root URL, parameters and steps."""
    require(source, bool(source.base_url), "base_url", "the root URL is needed, e.g. https://data.ecmwf.int/forecasts")
    require(source, bool(source.params), "params", "list the ECMWF short names to fetch, e.g. [2t, 10u, 10v, t]")
    require(source, bool(source.steps_h), "steps_h", "list the forecast steps to fetch [h]")
    require(source, all(s >= 0 for s in source.steps_h), "steps_h", "steps must be >= 0")


def step_urls(source: SourceConfig, cycle: pd.Timestamp, step_h: int) -> tuple[str, str]:
    """URLs of the GRIB file and of its index for one step of one cycle.

    Parameters
    ----------
    source : SourceConfig
        ``base_url`` is the root (``https://data.ecmwf.int/forecasts`` or a mirror).
    cycle : pandas.Timestamp
        Initialisation time [UTC].
    step_h : int
        Forecast step [h].

    Returns
    -------
    (str, str)
        GRIB URL, index URL.
    """
    opts = {**DEFAULT_OPTIONS, **source.options}
    ymd, hh = cycle.strftime("%Y%m%d"), cycle.strftime("%H")
    stream, kind = opts["stream"], opts["type"]
    stem = (
        f"{str(source.base_url).rstrip('/')}/{ymd}/{hh}z/{opts['model']}/{opts['resolution']}/{stream}/"
        f"{ymd}{hh}0000-{step_h}h-{stream}-{kind}"
    )
    return f"{stem}.grib2", f"{stem}.index"


def parse_index(text: str, url: str = "<index>") -> list[dict]:
    """Entries of an ECMWF ``.index`` file (JSON lines); ``_offset`` and ``_length`` as int [bytes].

    Raises
    ------
    FetchError
        Naming the URL and line when a line is not a JSON object with integer ``_offset``/``_length``.
    """
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            entry["_offset"], entry["_length"] = int(entry["_offset"]), int(entry["_length"])
            if entry["_offset"] < 0 or entry["_length"] <= 0:
                raise ValueError("negative offset or empty message")
        except (ValueError, KeyError, TypeError) as exc:
            raise FetchError(url, f"line {number} is not a valid index entry ({exc}): {line[:120]!r}") from None
        entries.append(entry)
    return entries


def _label(entry: dict) -> str:
    if entry.get("levtype") == "pl":
        return f"{entry['param']} {entry.get('levelist')} hPa"
    return f"{entry['param']} {entry.get('levtype', '?')}"


def select_messages(
    entries: list[dict], params: list[str], levels_hpa: list[int], cycle: pd.Timestamp, url: str = "<index>"
) -> tuple[list[IndexedMessage], list[str]]:
    """Messages of ``params`` (pressure-level ones at ``levels_hpa``; all levels if empty).

    Parameters
    ----------
    entries : list of dict
        From :func:`parse_index`.
    params : list of str
        ECMWF short names.
    levels_hpa : list of int
        Pressure levels [hPa].
    cycle : pandas.Timestamp
        The cycle the index must belong to (its ``date``/``time`` are checked).
    url : str
        Index URL, for messages.

    Returns
    -------
    (list of IndexedMessage, list of str)
        Messages to fetch, and the requested fields absent from the index.
    """
    want_date, want_time = cycle.strftime("%Y%m%d"), cycle.strftime("%H00")
    wanted, levels = set(params), set(levels_hpa)
    chosen: list[IndexedMessage] = []
    found: dict[str, set[int] | None] = {}
    for entry in entries:
        if (entry.get("date"), entry.get("time")) != (want_date, want_time):
            raise FetchError(
                url, f"index is for {entry.get('date')} {entry.get('time')}, not the cycle {want_date} {want_time}"
            )
        param = entry.get("param")
        if param not in wanted:
            continue
        if entry.get("levtype") == "pl":
            level = int(entry.get("levelist", -1))
            if levels and level not in levels:
                continue
            found.setdefault(param, set()).add(level)  # type: ignore[union-attr]
        else:
            found.setdefault(param, None)
        chosen.append(IndexedMessage(entry["_offset"], entry["_length"], _label(entry)))
    missing = [p for p in params if p not in found]
    for param, seen in found.items():
        if seen is not None and levels:
            missing += [f"{param} {lev} hPa" for lev in sorted(levels - seen, reverse=True)]
    return chosen, missing


def fetch(ctx: FetchContext) -> None:
    """Fetch every configured step of the cycle into ``ctx.folder``, one GRIB2 file per step."""
    source, cycle = ctx.source, ctx.cycle

    def select(text: str, url: str, step: int) -> tuple[list[IndexedMessage], list[str]]:
        return select_messages(parse_index(text, url), source.params, source.levels_hpa, cycle, url)

    fetch_indexed_steps(ctx, lambda step: step_urls(source, cycle, step), select)
