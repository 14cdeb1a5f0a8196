"""Station networks: the packaged YAML validates, and bad YAML is named clearly."""

from __future__ import annotations

import pytest
import yaml

from configs.networks import NetworkConfigError, StationRegistry, load_network


def test_packaged_networks_hold_the_real_stations():
    registry = StationRegistry.from_dir()
    assert {n.name for n in registry.networks} >= {"vietnam", "beijing"}
    assert len(registry.stations(network="beijing", kind="air_quality")) == 13
    # 21 OpenAQ rows, with the two US posts each listed under two ids -> 19 monitors
    assert len(registry.stations(network="vietnam", kind="air_quality")) == 19
    assert registry.resolve("Aotizhongxin") == "bj-aotizhongxin"
    assert registry.resolve("openaq-2539") == "us-embassy-hanoi"
    assert registry.get("hn-an-khanh").name_vi == "An Khánh"


def test_each_air_quality_station_is_linked_to_a_nearby_weather_station():
    registry = StationRegistry.from_dir()
    assert registry.met_station_for("hn-an-khanh") == "vvnb-noibai"
    assert registry.met_station_for("hcm-care-centre") == "vvts-tansonnhat"
    assert registry.met_station_for("us-embassy-beijing") == "zbaa-beijing-capital"  # configured
    assert registry.met_station_for("bj-dongsi") == "bj-dongsi"  # observes its own met
    assert registry.met_station_for("hn-an-khanh", max_distance_km=5) is None


def write(tmp_path, doc):
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


STATION = dict(
    id="x-1", name_vi="X", name_en="X", latitude=21.0, longitude=105.8, province="Hà Nội", source="test"
)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"latitude": 123.0}, "latitude"),
        ({"time_zone": "Mars/Olympus"}, "unknown IANA time zone"),
        ({"id": "Bad Id"}, "id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_station_fields_are_named(tmp_path, change, reason):
    path = write(tmp_path, {"name": "t", "description": "t", "stations": [{**STATION, **change}]})
    with pytest.raises(NetworkConfigError, match=reason) as info:
        load_network(path)
    assert str(path) in str(info.value)


def test_duplicate_ids_and_dangling_met_links_are_rejected(tmp_path):
    with pytest.raises(NetworkConfigError, match="duplicate station id 'x-1'"):
        load_network(write(tmp_path, {"name": "t", "description": "t", "stations": [STATION, STATION]}))
    net = load_network(
        write(tmp_path, {"name": "t", "description": "t", "stations": [{**STATION, "met_station": "nope"}]})
    )
    with pytest.raises(NetworkConfigError, match="met_station 'nope'"):
        StationRegistry([net])
