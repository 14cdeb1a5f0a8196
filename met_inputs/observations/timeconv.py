"""Time handling shared by the readers: local stamps and ISO 8601 strings → UTC, hour-ending.

Every reader states its source's convention and calls one of these; nothing else converts time.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from configs.errors import InputFileError

HOUR = pd.Timedelta(hours=1)

_OFFSET_AT_END = re.compile(
    r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE
)


def check_zone(tz: str) -> str:
    """``tz`` if it is a known IANA zone name, else ``ValueError`` naming it."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}; give an IANA name such as 'Asia/Ho_Chi_Minh'") from exc
    return tz


def stamps_from_parts(year: pd.Series, month: pd.Series, day: pd.Series, hour: pd.Series) -> pd.Series:
    """Naive local datetimes from integer columns (hour 0..23); NaT where the parts are invalid."""
    parts = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour})
    return pd.to_datetime(parts, errors="coerce")


def local_to_utc(naive: pd.Series, zone: str) -> pd.Series:
    """Naive local stamps in IANA ``zone`` → tz-aware UTC.

    Raises ``ValueError`` for stamps that do not exist or are ambiguous in ``zone`` (DST changes);
    the zones of our networks (``Asia/Ho_Chi_Minh``, ``Asia/Shanghai``) have had no DST since 1991.
    """
    # The zone is passed by name: pandas then uses its fast compiled transition tables (a ZoneInfo
    # object takes a per-element Python path, ~60x slower); the result is the same UTC instant.
    return naive.dt.tz_localize(zone, ambiguous="raise", nonexistent="raise").dt.tz_convert("UTC")


def _first_bad(mask: pd.Series, lines: pd.Series) -> int:
    return int(lines[mask].iloc[0])


def parse_iso_times(
    raw: pd.Series,
    *,
    path: Path,
    lines: pd.Series,
    column: str,
    tz: str | None = None,
) -> pd.Series:
    """ISO 8601 stamps (strings or datetimes) → tz-aware UTC, checked to lie on the full hour.

    Parameters
    ----------
    raw : pandas.Series
        Strings such as ``2024-01-05T10:00+07:00``, ``2024-01-05 03:00Z``, or datetime values.
    path, lines, column
        Where the values came from, to name the offending line in errors.
    tz : str, optional
        IANA zone of stamps written **without** an offset. Stamps with an offset keep it.

    Returns
    -------
    pandas.Series
        ``datetime64[ns, UTC]``, same index as ``raw``.

    Raises
    ------
    InputFileError
        Unparseable stamp, stamp without offset and no ``tz``, nonexistent/ambiguous local time, or a
        stamp not on the full hour (hourly values are hour-ending).
    """
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        utc = raw.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        if tz is None:
            raise InputFileError(
                path,
                "time has no UTC offset (naive timestamps); write the offset (e.g. +07:00) or pass --tz ZONE",
                row=int(lines.iloc[0]),
                column=column,
            )
        utc = _localise(raw, tz, path=path, lines=lines, column=column)
    else:
        text = raw.astype(str).str.strip()
        empty = text.eq("") | raw.isna()
        if empty.any():
            raise InputFileError(path, "empty time", row=_first_bad(empty, lines), column=column)
        aware = text.map(lambda s: bool(_OFFSET_AT_END.search(s)))
        utc = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
        if aware.any():
            parsed = pd.to_datetime(
                text[aware].str.replace(r"\s*UTC$", "Z", regex=True, case=False),
                format="ISO8601",
                utc=True,
                errors="coerce",
            )
            bad = parsed.isna()
            if bad.any():
                row = _first_bad(bad, lines[aware])
                raise InputFileError(
                    path,
                    f"cannot parse time {text[aware][bad].iloc[0]!r} as ISO 8601",
                    row=row,
                    column=column,
                )
            utc[aware] = parsed
        naive = ~aware
        if naive.any():
            if tz is None:
                row = _first_bad(naive, lines)
                raise InputFileError(
                    path,
                    f"time {text[naive].iloc[0]!r} has no UTC offset; write the offset (e.g. +07:00) "
                    "or pass --tz ZONE naming the local zone",
                    row=row,
                    column=column,
                )
            parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
            bad = parsed.isna()
            if bad.any():
                raise InputFileError(
                    path,
                    f"cannot parse time {text[naive][bad].iloc[0]!r} as ISO 8601",
                    row=_first_bad(bad, lines[naive]),
                    column=column,
                )
            utc[naive] = _localise(parsed, tz, path=path, lines=lines[naive], column=column)
    off_hour = utc.dt.minute.ne(0) | utc.dt.second.ne(0) | utc.dt.microsecond.ne(0)
    if off_hour.any():
        raise InputFileError(
            path,
            f"time {raw[off_hour].iloc[0]!s} is not on the full hour; "
            "hourly, hour-ending values are expected",
            row=_first_bad(off_hour, lines),
            column=column,
        )
    return utc.astype("datetime64[ns, UTC]")


def _localise(naive: pd.Series, tz: str, *, path: Path, lines: pd.Series, column: str) -> pd.Series:
    check_zone(tz)
    try:
        return local_to_utc(naive, tz)
    except (ValueError, TypeError) as exc:  # pytz/zoneinfo Ambiguous/NonExistentTimeError subclass ValueError
        local = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        bad = local.isna()
        row = _first_bad(bad, lines) if bad.any() else None
        raise InputFileError(
            path, f"local time does not exist or is ambiguous in {tz}: {exc}", row=row, column=column
        ) from exc
