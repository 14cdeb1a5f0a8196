"""Request parameters shared by the routes, with their patterns and OpenAPI descriptions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Header, Path, Query

from api.ids import CYCLE_ID, RUN_NAME, STATION_ID

LangQuery = Annotated[
    Literal["vi", "en"] | None,
    Query(description="response language; wins over Accept-Language (default vi). Anything else → 422."),
]
AcceptLanguage = Annotated[
    str | None,
    Header(description="preferred languages (vi, en); used when ?lang= is absent"),
]
StationId = Annotated[
    str, Path(pattern=STATION_ID, max_length=64, description="station id", examples=["demo-us-embassy-hanoi"])
]
Cycle = Annotated[str, Path(pattern=CYCLE_ID, max_length=14, description="cycle id (UTC)", examples=["2026-11-25T00Z"])]
RunName = Annotated[
    str, Path(pattern=RUN_NAME, max_length=72, description="<job>-v<N> half of the run id", examples=["forecast-v1"])
]
