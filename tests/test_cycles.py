import pandas as pd
import pytest

from forecast.cycles import cycle_id, latest_cycle, parse_cycle


def test_cycle_ids_round_trip():
    ts = parse_cycle("2026-11-22T12Z")
    assert ts == pd.Timestamp("2026-11-22T12:00Z")
    assert cycle_id(ts) == "2026-11-22T12Z"
    assert parse_cycle("2026-11-22T07:00+07:00") == pd.Timestamp("2026-11-22T00:00Z")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("yesterday", "not a cycle id"),
        ("2026-11-22T00:00", "no time zone"),
        ("2026-11-22T00:30Z", "not on the hour"),
    ],
)
def test_bad_cycles_are_named(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_cycle(text)


def test_latest_cycle():
    assert latest_cycle(pd.Timestamp("2026-11-22T11:59Z")) == pd.Timestamp("2026-11-22T00:00Z")
    assert latest_cycle(pd.Timestamp("2026-11-22T12:00Z")) == pd.Timestamp("2026-11-22T12:00Z")
    assert latest_cycle(pd.Timestamp("2026-11-22T00:00+07:00")) == pd.Timestamp("2026-11-21T12:00Z")
