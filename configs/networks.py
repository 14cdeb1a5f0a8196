"""Station networks: pydantic models for ``configs/networks/*.yaml`` and their loader."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from configs import CONFIG_DIR
from configs.yamlfile import load_model

logger = logging.getLogger(__name__)

NETWORK_DIR = CONFIG_DIR / "networks"

StationKind = Literal["air_quality", "weather"]
StationType = Literal[
    "urban",
    "suburban",
    "rural",
    "background",
    "traffic",
    "industrial",
    "diplomatic_post",
    "airport",
    "synoptic",
]


class Station(BaseModel):
    """One monitoring station (air quality or weather)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Stable id; keeps the source's own name.")
    name_vi: str
    name_en: str
    latitude: float = Field(ge=-90, le=90, description="[degrees north, WGS84]")
    longitude: float = Field(ge=-180, le=180, description="[degrees east, WGS84]")
    elevation_m: float | None = Field(default=None, description="Station height above mean sea level [m]")
    province: str
    kind: StationKind = "air_quality"
    station_type: StationType = "urban"
    sensor_type: Literal["reference", "low_cost"] = "reference"
    time_zone: str = "Asia/Ho_Chi_Minh"
    source: str
    coordinates_approximate: bool = False
    met_station: str | None = Field(
        default=None,
        description="Id of the weather station whose observed met this station uses; "
        "default: itself if it observes met, else the nearest weather station.",
    )
    observes_met: bool = Field(default=False, description="True when the station's own files carry met.")
    aliases: list[str] = Field(default_factory=list, description="Other names and ids of the same monitor.")
    notes: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class Network(BaseModel):
    """A named set of stations, e.g. the Beijing multi-site network."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str
    stations: list[Station]

    @model_validator(mode="after")
    def _unique_ids(self) -> Network:
        seen: set[str] = set()
        for station in self.stations:
            if station.id in seen:
                raise ValueError(f"duplicate station id {station.id!r} in network {self.name!r}")
            seen.add(station.id)
        return self


class NetworkConfigError(ValueError):
    """A network YAML file is missing or invalid."""


def load_network(path: Path) -> Network:
    """Read and validate one network YAML file."""
    return load_model(path, Network, NetworkConfigError, "network")


class StationRegistry:
    """All stations of the configured networks, by id and alias, with the AQ → weather-station links."""

    def __init__(self, networks: Iterable[Network]):
        self.networks = list(networks)
        self._by_id: dict[str, Station] = {}
        self._network_of: dict[str, str] = {}
        self._alias: dict[str, str] = {}
        for network in self.networks:
            for station in network.stations:
                if station.id in self._by_id:
                    raise NetworkConfigError(
                        f"station id {station.id!r} appears in networks "
                        f"{self._network_of[station.id]!r} and {network.name!r}"
                    )
                self._by_id[station.id] = station
                self._network_of[station.id] = network.name
                for alias in station.aliases:
                    self._alias[alias.lower()] = station.id
        for station in self._by_id.values():
            if station.met_station is not None and station.met_station not in self._by_id:
                raise NetworkConfigError(
                    f"station {station.id!r}: met_station {station.met_station!r} is not a configured station"
                )

    @classmethod
    def from_dir(cls, directory: Path = NETWORK_DIR) -> StationRegistry:
        files = sorted(directory.glob("*.yaml"))
        if not files:
            raise NetworkConfigError(f"{directory}: no network YAML files")
        return cls(load_network(path) for path in files)

    def __contains__(self, station_id: str) -> bool:
        return station_id in self._by_id

    def __iter__(self):
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, station_id: str) -> Station:
        """Station by id or alias; ``KeyError`` naming the id when unknown."""
        key = self.resolve(station_id)
        if key is None:
            raise KeyError(f"unknown station {station_id!r}: not in any configured network")
        return self._by_id[key]

    def resolve(self, name: str) -> str | None:
        """Our station id for an id or alias, else ``None``."""
        if name in self._by_id:
            return name
        return self._alias.get(name.lower())

    def network_of(self, station_id: str) -> str:
        return self._network_of[self.get(station_id).id]

    def stations(self, network: str | None = None, kind: StationKind | None = None) -> list[Station]:
        return [
            s
            for s in self._by_id.values()
            if (network is None or self._network_of[s.id] == network) and (kind is None or s.kind == kind)
        ]

    def met_station_for(self, station_id: str, max_distance_km: float = 100.0) -> str | None:
        """The weather station whose observed met ``station_id`` uses.

        The configured ``met_station`` wins; else the station itself when it observes met; else the
        nearest weather station within ``max_distance_km`` [km]; else ``None``.
        """
        station = self.get(station_id)
        if station.met_station is not None:
            return station.met_station
        if station.observes_met or station.kind == "weather":
            return station.id
        candidates = [s for s in self._by_id.values() if s.kind == "weather" or s.observes_met]
        if not candidates:
            return None

        def distance(other: Station) -> float:
            return haversine_km(station.latitude, station.longitude, other.latitude, other.longitude)

        nearest = min(candidates, key=distance)
        return nearest.id if distance(nearest) <= max_distance_km else None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [km] on a sphere of radius 6371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def registry_for_home(home_networks: Path | None = None) -> StationRegistry:
    """Packaged networks plus any ``*.yaml`` in ``home_networks`` (a home's ``networks`` folder)."""
    networks = [load_network(p) for p in sorted(NETWORK_DIR.glob("*.yaml"))]
    if home_networks is not None and home_networks.is_dir():
        networks += [load_network(p) for p in sorted(home_networks.glob("*.yaml"))]
    return StationRegistry(networks)
