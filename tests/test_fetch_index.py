"""Index parsing and message selection: ECMWF ``.index`` JSON lines and GFS ``.idx`` inventories."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from configs.sources import SourceConfig
from met_inputs.fetch import ecmwf_opendata, gfs
from met_inputs.fetch.errors import FetchError, SourceSetupError

CYCLE = pd.Timestamp("2026-11-22T00:00Z")

_HEAD = {
    "domain": "g",
    "date": "20261122",
    "time": "0000",
    "expver": "0001",
    "class": "od",
    "type": "fc",
    "stream": "oper",
    "step": "24",
}
_ENTRIES = [  # levtype, levelist, param, _offset, _length — as in a real step-24 index
    ("sfc", None, "2t", 0, 609069),
    ("pl", "1000", "t", 609069, 609046),
    ("pl", "500", "t", 1218115, 609046),
    ("sfc", None, "msl", 1827161, 609069),
    ("sol", "1", "vsw", 2436230, 609069),
]
ECMWF_INDEX = (
    "".join(
        json.dumps(
            _HEAD | {"levtype": lt} | ({"levelist": lv} if lv else {}) | {"param": p, "_offset": o, "_length": n}
        )
        + "\n"
        for lt, lv, p, o, n in _ENTRIES
    )
    + "\n"
)

GFS_IDX = """\
1:0:d=2026112200:PRMSL:mean sea level:3 hour fcst:
2:1005022:d=2026112200:CLMR:1 hybrid level:3 hour fcst:
3:1115513:d=2026112200:TMP:2 m above ground:3 hour fcst:
4:1900000:d=2026112200:DPT:2 m above ground:3 hour fcst:
5.1:2000000:d=2026112200:UGRD:10 m above ground:3 hour fcst:
5.2:2000000:d=2026112200:VGRD:10 m above ground:3 hour fcst:
6:2500000:d=2026112200:UGRD:100 m above ground:3 hour fcst:
7:2600000:d=2026112200:APCP:surface:0-3 hour acc fcst:
8:2700000:d=2026112200:TMP:1000 mb:3 hour fcst:
9:2800000:d=2026112200:TMP:100 mb:3 hour fcst:
10:2900000:d=2026112200:RH:850 mb:3 hour fcst:
"""


def test_ecmwf_index_lines_are_parsed_with_integer_offsets():
    entries = ecmwf_opendata.parse_index(ECMWF_INDEX)
    assert len(entries) == 5  # blank line ignored
    assert entries[1]["param"] == "t" and entries[1]["levelist"] == "1000"
    assert (entries[1]["_offset"], entries[1]["_length"]) == (609069, 609046)


def test_ecmwf_selection_keeps_params_and_configured_pressure_levels_only():
    entries = ecmwf_opendata.parse_index(ECMWF_INDEX)
    messages, missing = ecmwf_opendata.select_messages(entries, ["2t", "t", "10u"], [1000, 850], CYCLE)
    assert [m.label for m in messages] == ["2t sfc", "t 1000 hPa"]
    assert [m.byte_range for m in messages] == [(0, 609068), (609069, 1218114)]
    assert missing == ["10u", "t 850 hPa"]


def test_ecmwf_selection_without_levels_takes_every_level():
    entries = ecmwf_opendata.parse_index(ECMWF_INDEX)
    messages, missing = ecmwf_opendata.select_messages(entries, ["t"], [], CYCLE)
    assert [m.label for m in messages] == ["t 1000 hPa", "t 500 hPa"] and missing == []


def test_ecmwf_index_of_another_cycle_is_refused():
    entries = ecmwf_opendata.parse_index(ECMWF_INDEX)
    with pytest.raises(FetchError, match="index is for 20261122 0000, not the cycle 20261122 1200"):
        ecmwf_opendata.select_messages(entries, ["2t"], [], pd.Timestamp("2026-11-22T12:00Z"), "u")


def test_ecmwf_bad_index_line_is_named():
    with pytest.raises(FetchError, match=r"http://x/i\.index: line 2 is not a valid index entry"):
        ecmwf_opendata.parse_index('{"_offset": 0, "_length": 5}\nnot json\n', "http://x/i.index")


def test_ecmwf_urls_follow_the_documented_layout():
    source = SourceConfig(
        name="ifs", role="nwp", kind="ecmwf-opendata", base_url="https://data.ecmwf.int/forecasts/", params=["2t"]
    )
    grib, index = ecmwf_opendata.step_urls(source, CYCLE, 24)
    assert grib == "https://data.ecmwf.int/forecasts/20261122/00z/ifs/0p25/oper/20261122000000-24h-oper-fc.grib2"
    assert index == grib.removesuffix(".grib2") + ".index"


def test_gfs_idx_lengths_come_from_the_next_offset_and_the_last_runs_to_the_end():
    lines = gfs.parse_idx(GFS_IDX)
    assert len(lines) == 11
    assert (lines[0].offset, lines[0].length) == (0, 1005022)
    assert lines[4].length == lines[5].length == 500000  # sub-messages 5.1/5.2 share one GRIB message
    assert lines[-1].variable == "RH" and lines[-1].length is None  # no following offset
    assert lines[2].label == "TMP:2 m above ground:3 hour fcst"


def test_gfs_search_strings_select_exact_fields():
    lines = gfs.parse_idx(GFS_IDX)
    patterns = [
        "TMP:2 m above ground",
        "UGRD:10 m above ground",
        "TMP:1000 mb",
        "RH:850 mb",
        "APCP:surface",
        "HPBL:surface",
    ]
    messages, missing = gfs.select_messages(lines, patterns, CYCLE)
    assert [m.label for m in messages] == [
        "TMP:2 m above ground:3 hour fcst",
        "UGRD:10 m above ground:3 hour fcst",  # not UGRD:100 m
        "APCP:surface:0-3 hour acc fcst",
        "TMP:1000 mb:3 hour fcst",  # not TMP:100 mb
        "RH:850 mb:3 hour fcst",
    ]
    assert messages[-1].byte_range == (2900000, None)
    assert missing == ["HPBL:surface"]


def test_gfs_pattern_is_anchored_at_a_field_start():
    lines = gfs.parse_idx(GFS_IDX)
    messages, _ = gfs.select_messages(lines, ["PT:2 m"], CYCLE)  # must not match DPT
    assert messages == []


def test_gfs_params_without_a_level_expand_over_levels_hpa():
    source = SourceConfig(
        name="g", role="nwp", kind="gfs", base_url="http://x", params=["TMP", "PRES:surface"], levels_hpa=[1000, 850]
    )
    assert gfs.search_patterns(source) == ["TMP:1000 mb", "TMP:850 mb", "PRES:surface"]


def test_gfs_inventory_of_another_cycle_and_bad_lines_are_refused():
    with pytest.raises(FetchError, match="inventory is for d=2026112200, not the cycle 2026112206"):
        gfs.select_messages(gfs.parse_idx(GFS_IDX), ["TMP"], pd.Timestamp("2026-11-22T06:00Z"), "u")
    with pytest.raises(FetchError, match="line 1 is not an inventory line"):
        gfs.parse_idx("<html>Access denied</html>\n", "http://x/f.idx")


def test_gfs_urls_follow_the_aws_layout():
    source = SourceConfig(
        name="gfs",
        role="nwp",
        kind="gfs",
        base_url="https://noaa-gfs-bdp-pds.s3.amazonaws.com",
        params=["TMP:2 m above ground"],
    )
    grib, idx = gfs.step_urls(source, pd.Timestamp("2026-11-22T12:00Z"), 3)
    assert grib == "https://noaa-gfs-bdp-pds.s3.amazonaws.com/gfs.20261122/12/atmos/gfs.t12z.pgrb2.0p25.f003"
    assert idx == grib + ".idx"


def test_invalid_search_regex_is_a_setup_error_naming_the_source():
    source = SourceConfig(name="gfs", role="nwp", kind="gfs", base_url="http://x", params=["TMP:(2 m"])
    with pytest.raises(SourceSetupError, match=r"source 'gfs' \(kind gfs\): params: 'TMP:\(2 m' is not a valid"):
        gfs.validate(source)
