"""Vietnamese public holidays and the Tết block, per local day.

Sources, in order: the holiday file (``vn_holidays.csv``: ``date,holiday_name,is_tet_period``) for the
years it covers; for other years, the lunar-date table (``vn_lunar_dates.csv``: ``year,tet,hung_kings``)
gives Tết day 1 and Hung Kings' day, the Tết block is Tết day 1 − ``days_before`` … + ``days_after`` and
the fixed solar holidays (1 January, 30 April, 1 May, 2 September) are added. Tết day 1 (and so the
eve, Giao thừa) always comes from the lunar table, which the tests verify.

References
----------
Labour Code of Vietnam 2019 (45/2019/QH14), Art. 112: public holidays.
Hồ Ngọc Đức, Vietnamese calendar rules, https://www.informatik.uni-leipzig.de/~duc/amlich/calrules_en.html
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from configs.emissions import HolidayConfig
from configs.errors import InputFileError

logger = logging.getLogger(__name__)


def read_holidays(path: Path) -> pd.DataFrame:
    """Holiday file → DataFrame ``date`` (datetime64, local day), ``name``, ``is_tet`` (bool).

    Raises
    ------
    InputFileError
        Missing file or column, a date that does not parse, ``is_tet_period`` other than 0/1 (the
        message gives the line number, header = line 1).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputFileError(path, "holiday file not found") from exc
    for column in ("date", "holiday_name", "is_tet_period"):
        if column not in frame.columns:
            raise InputFileError(path, "missing column", column=column)
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    for i in np.flatnonzero(dates.isna().to_numpy()):
        raise InputFileError(path, f"not a YYYY-MM-DD date: {frame['date'].iloc[i]!r}", row=i + 2, column="date")
    bad = ~frame["is_tet_period"].str.strip().isin(["0", "1"])
    for i in np.flatnonzero(bad.to_numpy()):
        raise InputFileError(path, "must be 0 or 1", row=i + 2, column="is_tet_period")
    return pd.DataFrame(
        {"date": dates, "name": frame["holiday_name"], "is_tet": frame["is_tet_period"].str.strip() == "1"}
    )


def read_lunar_dates(path: Path) -> pd.DataFrame:
    """Lunar-date table (``#`` comments; ``year,tet,hung_kings``) → DataFrame indexed by year, datetime64 columns."""
    try:
        frame = pd.read_csv(path, comment="#", dtype=str)
    except FileNotFoundError as exc:
        raise InputFileError(path, "lunar-date file not found") from exc
    for column in ("year", "tet", "hung_kings"):
        if column not in frame.columns:
            raise InputFileError(path, "missing column", column=column)
    out = pd.DataFrame(index=pd.Index(pd.to_numeric(frame["year"], errors="coerce"), name="year"))
    for column in ("tet", "hung_kings"):
        values = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
        bad = values.isna().to_numpy() | (values.dt.year.to_numpy() != out.index.to_numpy())
        for i in np.flatnonzero(bad):
            raise InputFileError(path, f"bad date {frame[column].iloc[i]!r} for its year", column=column)
        out[column] = values.to_numpy()
    return out


@dataclass(frozen=True, eq=False)
class HolidayCalendar:
    """Public holidays, the Tết block and Tết day 1 per year (all local days)."""

    holidays: pd.DataFrame
    lunar: pd.DataFrame
    config: HolidayConfig

    @classmethod
    def from_config(cls, config: HolidayConfig, base_dir: Path) -> HolidayCalendar:
        def resolve(name: str) -> Path:
            path = Path(name)
            return path if path.is_absolute() else Path(base_dir) / path

        return cls(read_holidays(resolve(config.file)), read_lunar_dates(resolve(config.lunar_dates_file)), config)

    def tet_day1(self, year: int) -> pd.Timestamp | None:
        """Tết day 1 (local) of a Gregorian year, or None outside the lunar table."""
        return pd.Timestamp(self.lunar.at[year, "tet"]) if year in self.lunar.index else None

    def _year_days(self, year: int) -> tuple[set[pd.Timestamp], set[pd.Timestamp]]:
        """(holiday days, Tết-block days) of one year."""
        in_file = self.holidays[self.holidays["date"].dt.year == year]
        if len(in_file):
            return set(in_file["date"]), set(in_file.loc[in_file["is_tet"], "date"])
        holidays = {pd.Timestamp(f"{year}-{md}") for md in self.config.fixed_dates}
        tet_days: set[pd.Timestamp] = set()
        if year in self.lunar.index:
            day1 = self.tet_day1(year)
            span = pd.date_range(
                day1 - pd.Timedelta(days=self.config.tet.days_before),
                day1 + pd.Timedelta(days=self.config.tet.days_after),
            )
            tet_days = set(span)
            holidays |= tet_days | {pd.Timestamp(self.lunar.at[year, "hung_kings"])}
        else:
            logger.warning(
                "no Tết or Hung Kings' date for %d (lunar table covers %d-%d): fixed holidays only",
                year,
                self.lunar.index.min(),
                self.lunar.index.max(),
            )
        return holidays, tet_days

    def day_flags(self, days: pd.DatetimeIndex) -> pd.DataFrame:
        """Flags per local day (tz-naive midnight timestamps).

        Returns
        -------
        DataFrame indexed like ``days`` with bool columns ``is_holiday`` (any public holiday, Tết block
        included), ``is_tet`` (Tết block), ``is_tet_eve`` (last day of the lunar year) and ``is_tet_day1``.
        """
        unique = pd.DatetimeIndex(pd.unique(days))
        holidays: set[pd.Timestamp] = set()
        tet: set[pd.Timestamp] = set()
        day1s: set[pd.Timestamp] = set()
        for year in sorted(set(unique.year)):
            h, t = self._year_days(int(year))
            holidays |= h
            tet |= t
            day1 = self.tet_day1(int(year))
            if day1 is not None:
                day1s.add(day1)
        eves = {d - pd.Timedelta(days=1) for d in day1s}
        return pd.DataFrame(
            {
                "is_holiday": days.isin(list(holidays)),
                "is_tet": days.isin(list(tet)),
                "is_tet_eve": days.isin(list(eves)),
                "is_tet_day1": days.isin(list(day1s)),
            },
            index=days,
        )


def local_interval_start(valid_times_utc: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    """Local start of each hour-ending interval: ``valid_time − 1 h`` in zone ``tz``.

    A value stamped 08:00 local covers 07:00–08:00, so its hour-of-day is 7 (the profile files' column 8)
    and its day is the day of 07:00. Naive times are taken as UTC.
    """
    times = pd.DatetimeIndex(valid_times_utc)
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    return (times - pd.Timedelta(hours=1)).tz_convert(tz)
