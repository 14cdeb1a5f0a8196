"""Response models of stations and forecasts (schema ``/v1``): the OpenAPI document and the cached bodies.

Each body is validated through these models once, when it is first built for a release, station and
language (:mod:`api.forecast_payload`), so the documented schema is the one served. Times are ISO 8601 with
their offset; hourly values are hour-ending; every number names its unit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

API_VERSION = "v1"
FORECAST_SCHEMA = "vnaqi.api.station-forecast/1"
TIME_CONVENTION = (
    "hour-ending: an hourly value at valid_time T is the mean over the hour (T-1h, T]; a daily value covers "
    "local hours 01:00 … 24:00 (00:00 of the next day) of its date (Decision 1459/QĐ-TCMT); times are ISO 8601 "
    "with their UTC offset (Asia/Ho_Chi_Minh, +07:00)"
)
CONFIDENCE_RULE = (
    "high when the probability of the forecast category is at least 0.7, medium when at least 0.45, else low; "
    "at most medium when the day was forecast partly without weather (no_met_leads), at most low when the station "
    "has no recent observations (no_recent_observations) or borrowed a neighbour's history (history_from); low "
    "when the run gave no category probabilities"
)

Confidence = Literal["high", "medium", "low"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Units(_Model):
    aqi: str = Field(description="the index and its legal basis (dimensionless)")
    concentration: str = Field(description="unit of every concentration and quantile (CO included)")
    probability: str = Field(description="unit of every probability")
    lead: str = Field(description="unit of `lead`")


class StationSummary(_Model):
    """A station as the forecast names it."""

    id: str = Field(description="stable station id", examples=["demo-us-embassy-hanoi"])
    name: str = Field(description="name in the response language")
    name_vi: str
    name_en: str
    province: str
    latitude: float = Field(description="[degrees north, WGS84]")
    longitude: float = Field(description="[degrees east, WGS84]")


class Station(StationSummary):
    """A forecast station with its registry details and latest observation."""

    network: str | None = Field(default=None, description="network it is configured in")
    station_type: str | None = Field(default=None, description="urban, suburban, rural, traffic, industrial …")
    sensor_type: str | None = Field(default=None, description="reference or low_cost")
    elevation_m: float | None = Field(default=None, description="height above mean sea level [m]")
    coordinates_approximate: bool | None = None
    observed: Observed | None = Field(default=None, description="last observed hour with a VN_AQI, if any")
    status: StationStatus
    links: dict[str, str] = Field(description="`self`, `forecast`")


class Observed(_Model):
    time: str = Field(description="end of the observed hour (ISO 8601 with offset)")
    hour_ending: Literal[True] = True
    aqi: int | None = Field(description="hourly VN_AQI (dimensionless)")
    category: int | None = Field(description="1 (Tốt/Good) … 6 (Nguy hại/Hazardous)")
    category_name: str | None = Field(description="category name in the response language")
    colour: str | None = Field(description="official category colour #RRGGBB")
    text_colour: str | None = Field(description="text colour readable on `colour` (WCAG ≥ 4.5:1)")
    dominant_pollutant: str | None


class StationStatus(_Model):
    """Flags of the station in this run (all false/zero when it is normal)."""

    no_recent_observations: bool = Field(default=False, description="no observation in the hours before the cycle")
    no_met_leads: int = Field(default=0, description="leads forecast without weather input [h]")
    history_from: str | None = Field(default=None, description="neighbour station whose history stood in")
    note: str | None = Field(default=None, description="plain-words explanation (English)")


class Quantity(_Model):
    """A concentration with its 10–90 % range [µg/m³]."""

    value: float | None = Field(description="the issued forecast (mean) [µg/m³]")
    q10: float | None = Field(default=None, description="10 % quantile [µg/m³]")
    q50: float | None = Field(default=None, description="median [µg/m³]")
    q90: float | None = Field(default=None, description="90 % quantile [µg/m³]")


class Hourly(_Model):
    lead: int = Field(description="hours after the cycle time [h], 1 … 72")
    valid_time: str = Field(description="end of the hour (ISO 8601 with offset)")
    hour_ending: Literal[True] = Field(default=True, description="the value is the mean of the hour ending then")
    aqi: int | None = Field(description="hourly (NowCast) VN_AQI; null where undefined")
    category: int | None
    category_name: str | None
    colour: str | None
    text_colour: str | None
    dominant_pollutant: str | None
    concentration_unit: str = Field(description="unit of every value in `concentrations`")
    concentrations: dict[str, Quantity] = Field(description="pollutant (pm25, pm10, no2, o3, so2, co) → value")


class CategoryRange(_Model):
    low: int = Field(description="category of the 10 % quantile of the daily VN_AQI")
    high: int = Field(description="category of the 90 % quantile of the daily VN_AQI")


class Advice(_Model):
    general: str = Field(description="for the general public")
    sensitive: str = Field(description="for sensitive groups (elderly, children, heart or lung disease)")


class ForecasterOverride(_Model):
    """A forecaster replaced the model's daily category (the AQI number stays the model's)."""

    category_model: int | None = Field(description="the model's category, replaced by `category`")
    reason: str = Field(description="why the forecaster changed it (mandatory)")
    by: str = Field(description="the forecaster")
    at: str = Field(description="when (ISO 8601)")


class Daily(_Model):
    day: Literal["D1", "D2", "D3"]
    date: str = Field(description="local date (YYYY-MM-DD)")
    period_start: str = Field(description="start of the daily window (00:00 local, ISO 8601 with offset)")
    period_end: str = Field(description="end of the daily window (24:00 local = 00:00 the next day)")
    aqi: int | None = Field(description="daily VN_AQI (dimensionless); null when undefined")
    category: int | None
    category_name: str | None
    colour: str | None
    text_colour: str | None
    dominant_pollutant: str | None
    observed_hours: int | None = Field(description="hours of the day already observed at issue [h]")
    forecast_hours: int | None = Field(description="hours of the day forecast [h]")
    category_probabilities: dict[str, float] | None = Field(
        description="category '1' … '6' → probability (fraction 0–1, sums to 1); null without quantiles"
    )
    most_likely_category: int | None
    category_range_10_90: CategoryRange | None = Field(description="10–90 % range of the daily category")
    confidence: Confidence = Field(description=CONFIDENCE_RULE)
    confidence_probability: float | None = Field(description="probability of the forecast category (0–1)")
    advice: Advice | None = Field(description="health advice for the day's category, in the response language")
    forecaster_override: ForecasterOverride | None = Field(
        default=None,
        description="set when a forecaster overrode the category: `category` is theirs, this keeps the model's",
    )


class RunRef(_Model):
    id: str = Field(description="run id <cycle>/<job>-v<N>")
    cycle: str = Field(description="NWP initialisation time, e.g. 2026-11-25T00Z")
    version: int = Field(description="N: run version of this cycle")
    method: str | None = Field(description="the model or baseline that made the concentrations")


class ReleaseRef(_Model):
    bulletin_id: str | None
    bulletin_version: int | None
    released_at: str | None = Field(description="when it was released (ISO 8601)")
    reviewed: bool = Field(description="false: released unattended, not reviewed by a forecaster")
    approved_by: str | None


class StationForecast(_Model):
    """72 hourly values and D1–D3 of one station, from the latest released run."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "api_version": "v1",
                    "schema": FORECAST_SCHEMA,
                    "lang": "en",
                    "issue_time": "2026-11-25T00:00:00+00:00",
                    "run_id": "2026-11-25T00Z/forecast-v1",
                    "version": 1,
                    "synthetic": False,
                    "notices": ["Not reviewed by a forecaster."],
                    "station": {
                        "id": "us-embassy-hanoi",
                        "name": "US Embassy Hanoi",
                        "name_vi": "Đại sứ quán Hoa Kỳ",
                        "name_en": "US Embassy Hanoi",
                        "province": "Hà Nội",
                        "latitude": 21.021939,
                        "longitude": 105.818806,
                    },
                    "confidence": "medium",
                    "daily": [
                        {
                            "day": "D1",
                            "date": "2026-11-25",
                            "period_start": "2026-11-25T00:00:00+07:00",
                            "period_end": "2026-11-26T00:00:00+07:00",
                            "aqi": 112,
                            "category": 3,
                            "category_name": "Poor",
                            "colour": "#FF7E00",
                            "text_colour": "#000000",
                            "dominant_pollutant": "pm25",
                            "observed_hours": 7,
                            "forecast_hours": 17,
                            "category_probabilities": {"1": 0.0, "2": 0.25, "3": 0.6, "4": 0.15, "5": 0.0, "6": 0.0},
                            "most_likely_category": 3,
                            "category_range_10_90": {"low": 2, "high": 4},
                            "confidence": "medium",
                            "confidence_probability": 0.6,
                            "advice": {"general": "If your eyes sting …", "sensitive": "Cut down on …"},
                        }
                    ],
                    "hourly": [
                        {
                            "lead": 1,
                            "valid_time": "2026-11-25T08:00:00+07:00",
                            "hour_ending": True,
                            "aqi": 90,
                            "category": 2,
                            "category_name": "Moderate",
                            "colour": "#FFFF00",
                            "text_colour": "#000000",
                            "dominant_pollutant": "pm25",
                            "concentration_unit": "µg/m³",
                            "concentrations": {"pm25": {"value": 31.2, "q10": 18.0, "q50": 29.5, "q90": 60.2}},
                        }
                    ],
                }
            ]
        },
    )

    api_version: Literal["v1"] = API_VERSION
    schema_: str = Field(FORECAST_SCHEMA, alias="schema", description="schema of this body")
    lang: Literal["vi", "en"]
    issue_time: str = Field(description="cycle time the forecast was issued from (ISO 8601 with offset)")
    run_id: str
    version: int = Field(description="run version (N of <job>-vN)")
    run: RunRef
    release: ReleaseRef
    synthetic: bool = Field(description="true when made from SYNTHETIC demo inputs: never present it as real")
    notices: list[str] = Field(description="caveats to show with the forecast (synthetic data, not reviewed …)")
    time_zone: str
    time_convention: str
    units: Units
    station: StationSummary
    status: StationStatus
    confidence: Confidence = Field(description="D1's confidence label (see `daily[].confidence`)")
    observed: Observed | None
    daily: list[Daily]
    hourly: list[Hourly]
    links: dict[str, str] = Field(description="`self`, `station`, `bulletin`")


class NearestResult(_Model):
    distance_km: float = Field(description="great-circle distance from the query point [km]")
    forecast: StationForecast


class NearestForecast(_Model):
    """The forecast stations nearest to a point, nearest first."""

    api_version: Literal["v1"] = API_VERSION
    latitude: float = Field(description="query latitude [degrees north]")
    longitude: float = Field(description="query longitude [degrees east]")
    distance_unit: Literal["km"] = "km"
    results: list[NearestResult]


Station.model_rebuild()
