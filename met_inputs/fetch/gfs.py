"""NCEP GFS on the NOAA open-data layout (AWS bucket ``noaa-gfs-bdp-pds`` and its copies), by ``.idx`` byte ranges.

The provider's layout (NOAA Open Data Dissemination / the AWS registry entry ``noaa-gfs-bdp-pds``;
the same paths under NOMADS ``/pub/data/nccf/com/gfs/prod``, Google and Azure)::

    {base}/gfs.{YYYYMMDD}/{HH}/atmos/gfs.t{HH}z.pgrb2.0p25.f{FFF}
    {base}/gfs.{YYYYMMDD}/{HH}/atmos/gfs.t{HH}z.pgrb2.0p25.f{FFF}.idx

The ``.idx`` inventory (wgrib2 style) has one line per GRIB message::

    1:0:d=2026112200:PRMSL:mean sea level:anl:
    2:1005022:d=2026112200:CLMR:1 hybrid level:anl:
    ...
    596:514985520:d=2026112200:TMP:2 m above ground:3 hour fcst:

A message ends where the next distinct offset starts; the last one runs to the end of the file
(fetched with an open range ``bytes=N-``). Sub-messages (``5.1``, ``5.2``) share an offset and
hence one range.

Parameters are Herbie-style search strings: regular expressions matched against the
``:VAR:LEVEL:FORECAST:`` part of each line, e.g. ``TMP:2 m above ground`` or ``APCP:surface:0-\\d+ hour``.
A parameter without ``:`` (``TMP``) is expanded to ``TMP:{level} mb`` for every level of ``levels_hpa``.

Options: ``product`` (``pgrb2.0p25``; also ``pgrb2.0p50``, ``pgrb2.1p00``, ``pgrb2b.0p25``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pandas as pd

from configs.sources import SourceConfig
from met_inputs.fetch.base import FetchContext, IndexedMessage, fetch_indexed_steps, require
from met_inputs.fetch.errors import FetchError

__all__ = ["IdxLine", "fetch", "parse_idx", "search_patterns", "select_messages", "step_urls", "validate"]

log = logging.getLogger(__name__)

DEFAULT_PRODUCT = "pgrb2.0p25"


@dataclass(frozen=True)
class IdxLine:
    """One line of a ``.idx`` inventory: offset and length [bytes] (``None`` = to end of file), fields."""

    number: str
    offset: int
    length: int | None
    date: str
    variable: str
    level: str
    forecast: str
    fields: str

    @property
    def label(self) -> str:
        """``VAR:LEVEL:FORECAST``, as wgrib2 prints it."""
        return f"{self.variable}:{self.level}:{self.forecast}"


def validate(source: SourceConfig) -> None:
    """Check root URL, steps and that every search string is a valid regular expression."""
    require(
        source,
        bool(source.base_url),
        "base_url",
        "the root URL is needed, e.g. https://noaa-gfs-bdp-pds.s3.amazonaws.com",
    )
    require(source, bool(source.params), "params", 'list search strings such as "TMP:2 m above ground"')
    require(source, bool(source.steps_h), "steps_h", "list the forecast steps to fetch [h]")
    for pattern in search_patterns(source):
        try:
            re.compile(pattern)
        except re.error as exc:
            require(source, False, "params", f"{pattern!r} is not a valid regular expression ({exc})")


def step_urls(source: SourceConfig, cycle: pd.Timestamp, step_h: int) -> tuple[str, str]:
    """URLs of the GRIB2 file of one step and of its ``.idx`` inventory."""
    ymd, hh = cycle.strftime("%Y%m%d"), cycle.strftime("%H")
    product = source.options.get("product", DEFAULT_PRODUCT)
    url = f"{str(source.base_url).rstrip('/')}/gfs.{ymd}/{hh}/atmos/gfs.t{hh}z.{product}.f{step_h:03d}"
    return url, f"{url}.idx"


def search_patterns(source: SourceConfig) -> list[str]:
    """The search strings of a source: ``params``, those without ``:`` expanded over ``levels_hpa``."""
    patterns: list[str] = []
    for param in source.params:
        if ":" in param or not source.levels_hpa:
            patterns.append(param)
        else:
            patterns += [f"{param}:{level} mb" for level in source.levels_hpa]
    return patterns


def parse_idx(text: str, url: str = "<idx>") -> list[IdxLine]:
    """Lines of a ``.idx`` inventory, with each message's length from the next distinct offset.

    Raises
    ------
    FetchError
        Naming the URL and line when a line is not ``n:offset:d=YYYYMMDDHH:VAR:LEVEL:FORECAST:``.
    """
    raw: list[tuple[str, int, str, list[str], str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(":")
        if len(parts) < 6 or not parts[1].isdigit() or not parts[2].startswith("d="):
            raise FetchError(url, f"line {number} is not an inventory line: {line[:120]!r}")
        raw.append((parts[0], int(parts[1]), parts[2][2:], parts[3:], ":".join(parts[3:])))
    offsets = sorted({offset for _, offset, *_ in raw})
    next_offset = {a: b for a, b in zip(offsets, offsets[1:], strict=False)}
    return [
        IdxLine(
            number=n,
            offset=offset,
            length=(next_offset[offset] - offset) if offset in next_offset else None,
            date=date,
            variable=rest[0],
            level=rest[1],
            forecast=rest[2],
            fields=fields,
        )
        for n, offset, date, rest, fields in raw
    ]


def select_messages(
    lines: list[IdxLine], patterns: list[str], cycle: pd.Timestamp, url: str = "<idx>"
) -> tuple[list[IndexedMessage], list[str]]:
    """Messages whose ``:VAR:LEVEL:FORECAST:`` matches any search string.

    Parameters
    ----------
    lines : list of IdxLine
        From :func:`parse_idx`.
    patterns : list of str
        Regular expressions (a leading ``:`` is implied, so ``TMP`` does not match ``DPTMP``).
    cycle : pandas.Timestamp
        The cycle the inventory must belong to (``d=`` is checked).
    url : str
        Inventory URL, for messages.

    Returns
    -------
    (list of IndexedMessage, list of str)
        Messages to fetch, and the search strings that matched nothing.
    """
    want = cycle.strftime("%Y%m%d%H")
    compiled = [(p, re.compile(":" + p.lstrip(":"))) for p in patterns]
    matched: set[str] = set()
    chosen: list[IndexedMessage] = []
    for line in lines:
        if line.date != want:
            raise FetchError(url, f"inventory is for d={line.date}, not the cycle {want}")
        text = f":{line.fields}"
        hits = [p for p, rx in compiled if rx.search(text)]
        if hits:
            matched.update(hits)
            chosen.append(IndexedMessage(line.offset, line.length, line.label))
    return chosen, [p for p in patterns if p not in matched]


def fetch(ctx: FetchContext) -> None:
    """Fetch every configured step of the cycle into ``ctx.folder``, one GRIB2 file per step."""
    source, cycle = ctx.source, ctx.cycle
    patterns = search_patterns(source)

    def select(text: str, url: str, step: int) -> tuple[list[IndexedMessage], list[str]]:
        return select_messages(parse_idx(text, url), patterns, cycle, url)

    fetch_indexed_steps(ctx, lambda step: step_urls(source, cycle, step), select)
