"""The response language: ``?lang=vi|en`` wins, else the best of ``Accept-Language``, else Vietnamese."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_LANG: Lang = "vi"


def choose_lang(query: str | None, accept_language: str | None) -> Lang:
    """``query`` (already validated as vi/en) when given, else the header's preference, else ``vi``."""
    if query is not None:
        return "en" if query == "en" else "vi"
    if not accept_language:
        return DEFAULT_LANG
    return _from_header(accept_language[:512])


@lru_cache(maxsize=256)
def _from_header(header: str) -> Lang:
    """Highest-q supported language of an ``Accept-Language`` value (``en-GB`` counts as ``en``; ties: first)."""
    best: tuple[float, int] | None = None
    chosen: Lang = DEFAULT_LANG
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        q = 1.0
        params = params.strip().lower()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if q <= 0:
            continue
        rank = (q, -position)
        if best is None or rank > best:
            best, chosen = rank, primary  # type: ignore[assignment]
    return chosen
