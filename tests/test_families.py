"""``training.families``: the months the blend is calibrated on besides the validation block (hand-computed)."""

from __future__ import annotations

import pandas as pd

from training.families import held_out_issues
from training.pipeline import TrainingPlan


def plan(train_from: str, train_to: str) -> TrainingPlan:
    return TrainingPlan(
        pollutants=["pm25"], stations=["a"], met_mode="none", train_from=pd.Timestamp(train_from, tz="UTC"),
        train_to=pd.Timestamp(train_to, tz="UTC"), valid_to=pd.Timestamp(train_to, tz="UTC") + pd.Timedelta(days=60),
    )  # fmt: skip


def test_the_blend_sees_the_months_both_families_held_out():
    issues = held_out_issues(plan("2024-01-01", "2024-12-31"), every_months=5)
    # months 0, 1, … from January: indices 4 and 9 (May, October) are held out; 00 and 12 UTC issues
    assert sorted(set(issues.month)) == [5, 10] and set(issues.year) == {2024}
    assert len(issues) == (31 + 31) * 2 and set(issues.hour) == {0, 12}
    # the last training issues are those whose 72 h end by train_to: December ends on the 28th at 12 UTC
    assert plan("2024-01-01", "2024-12-31").train_issues[-1] == pd.Timestamp("2024-12-28T12:00Z")


def test_short_training_periods_and_no_holdout_give_no_months():
    assert len(held_out_issues(plan("2024-01-01", "2024-08-31"), every_months=5)) == 0  # under 12 months
    assert len(held_out_issues(plan("2024-01-01", "2024-12-31"), every_months=0)) == 0
