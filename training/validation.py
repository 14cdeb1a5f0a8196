"""Which rows a corrector validates on: the validation block plus whole months held out of training.

A single validation block after the training period (``--valid-to``) is one season of one year. On
the Beijing archive the issue's Jan–Feb 2016 block was unusually clean (mean PM2.5 52 µg/m³ against a
winter climatology of 108), so early stopping on it alone kept 45 trees of a model that wants ~1,500
(perfect prognosis) and 10 of one that wants ~50 (no met) — and the blend weights and interval
offsets fitted on it inherited the same accident. Holding out every *n*-th calendar month of the
training period as well (blocked cross-validation, Roberts et al. 2017, Ecography 40:913) gives the
stopping rule, the blend and the conformal calibration every season, while every held-out row is
still out of sample: whole months, never a random split, with the issues whose 72 h targets reach
into a held-out month (the embargo) dropped from training.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

MIN_TRAINING_MONTHS_FOR_HOLDOUT = 12
"""Shorter training periods keep every month for training and validate on the block alone."""


def held_out_months(issue_times: pd.Series, every_months: int) -> np.ndarray:
    """True for rows whose issue month is the last of each run of ``every_months`` months counted from
    the first training month (every 5th month rotates through the calendar: 5 does not divide 12)."""
    times = pd.to_datetime(issue_times, utc=True).dt.tz_convert(None)
    first = times.min()
    month_index = (times.dt.year - first.year) * 12 + (times.dt.month - first.month)
    return (month_index % every_months == every_months - 1).to_numpy()


def seasonal_holdout(
    train: pd.DataFrame, every_months: int, embargo_hours: int = 72
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a training feature table into (rows to fit, held-out months).

    Parameters
    ----------
    train : DataFrame
        Feature rows with ``issue_time`` (tz-aware UTC).
    every_months : int
        Hold out one calendar month in this many (0 or a training period shorter than
        :data:`MIN_TRAINING_MONTHS_FOR_HOLDOUT` months: hold out nothing).
    embargo_hours : int
        Issues less than this long before a held-out month are dropped from the fit: their targets
        (leads up to 72 h) lie inside it.
    """
    if every_months <= 1 or train.empty:
        return train, train.iloc[:0]
    times = pd.to_datetime(train["issue_time"], utc=True)
    span_months = (times.max().year - times.min().year) * 12 + times.max().month - times.min().month + 1
    if span_months < MIN_TRAINING_MONTHS_FOR_HOLDOUT:
        logger.info("training period spans %d months: no months held out (validation block only)", span_months)
        return train, train.iloc[:0]
    held = held_out_months(times, every_months)
    naive = times.dt.tz_convert(None)
    block_starts = naive[held].dt.to_period("M").dt.start_time.unique()
    embargoed = np.zeros(len(train), dtype=bool)
    for start in block_starts:
        embargoed |= ((naive >= start - pd.Timedelta(hours=embargo_hours)) & (naive < start)).to_numpy()
    logger.info(
        "held out %d of %d training rows (%d month(s)); %d embargoed",
        int(held.sum()), len(train), len(block_starts), int(embargoed.sum()),
    )  # fmt: skip
    return train[~held & ~embargoed], train[held]
