"""``/v1/stations``, ``/v1/stations/{id}``, ``/v1/stations/{id}/forecast`` and ``/v1/forecast?lat=&lon=``.

Every body comes from the latest release and is built once per (release, station, language); a request
is a dict lookup plus header checks. The nearest-station answer splices the cached forecast bodies.
"""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations, some of which close over
# the app's settings (page and query bounds).
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.context import ApiContext
from api.forecast_payload import observed_fields, station_forecast, station_summary
from api.lang import Lang, choose_lang
from api.models import NearestForecast, Station, StationForecast
from api.models_misc import StationList
from api.pagination import Paging, page_info, paging_dependency, take
from api.params import AcceptLanguage, LangQuery, StationId
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.releases import Release, forecast_key
from api.representation import JSON, Representation, json_bytes
from configs.networks import haversine_km

FORECAST_DESCRIPTION = """72 hourly values (hour-ending, `valid_time` with offset) of VN_AQI, category, colour and
the concentration of each pollutant with its 10/50/90 % quantiles [µg/m³]; D1–D3 daily VN_AQI with the
probability of each category, the 10–90 % category range, a confidence label and health advice; the run id,
issue time and version. Language: `?lang=vi|en`, else `Accept-Language`, else Vietnamese.

Confidence: high when the probability of the forecast category is ≥ 0.7, medium when ≥ 0.45, else low;
at most medium when the day was partly forecast without weather input, at most low when the station has no
recent observations or borrowed a neighbour's history."""


def require_release(ctx: ApiContext) -> Release:
    """The latest release, or 404 when nothing has been published."""
    release = ctx.releases.current()
    if release is None:
        raise ApiProblem(404, "no forecast has been published yet (products/latest is missing)")
    return release


def require_station(release: Release, station_id: str) -> dict[str, Any]:
    raw = release.stations().get(station_id)
    if raw is None:
        raise ApiProblem(404, f"no station {station_id!r} in the latest forecast ({release.run_id}); see /v1/stations")
    return raw


def forecast_representation(ctx: ApiContext, release: Release, station_id: str, lang: Lang) -> Representation:
    """The cached forecast body of one station and language (404 for a station not in the release)."""
    raw = require_station(release, station_id)

    def build() -> Representation:
        links = {
            "self": ctx.link(f"/v1/stations/{station_id}/forecast?lang={lang}"),
            "station": ctx.link(f"/v1/stations/{station_id}?lang={lang}"),
            "bulletin": ctx.link(f"/v1/bulletins/latest.html?lang={lang}"),
        }
        model = station_forecast(raw, release.meta, lang, links)
        body = model.model_dump_json(by_alias=True).encode("utf-8")
        return ctx.representation(
            body, JSON, ctx.settings.cache.forecast, last_modified=release.last_modified, lang=lang
        )

    return release.cached(forecast_key(station_id, lang), build)


def _station_entry(ctx: ApiContext, release: Release, raw: dict[str, Any], lang: Lang) -> dict[str, Any]:
    registry = ctx.registry()
    details: dict[str, Any] = {}
    if registry is not None and raw["id"] in registry:
        station = registry.get(raw["id"])
        details = {
            "network": registry.network_of(station.id),
            "station_type": station.station_type,
            "sensor_type": station.sensor_type,
            "elevation_m": station.elevation_m,
            "coordinates_approximate": station.coordinates_approximate,
        }
    status = raw.get("status") or {}
    entry = {
        **station_summary(raw, lang),
        **details,
        "observed": observed_fields(raw.get("observed"), lang),
        "status": {
            "no_recent_observations": bool(status.get("no_recent_observations", False)),
            "no_met_leads": int(status.get("no_met_leads") or 0),
            "history_from": status.get("history_from"),
            "note": status.get("note"),
        },
        "links": {
            "self": ctx.link(f"/v1/stations/{raw['id']}"),
            "forecast": ctx.link(f"/v1/stations/{raw['id']}/forecast"),
        },
    }
    return Station.model_validate(entry).model_dump(mode="json")


def station_entries(ctx: ApiContext, release: Release, lang: Lang) -> list[dict[str, Any]]:
    """Every station of the release as :class:`Station` fields (built once per release and language)."""
    return release.memo(
        ("station-entries", lang), lambda: [_station_entry(ctx, release, s, lang) for s in release.stations().values()]
    )


def router(ctx: ApiContext) -> APIRouter:
    """The station and forecast routes of one app."""
    api = APIRouter(tags=["stations and forecasts"])
    settings = ctx.settings
    paging = paging_dependency(settings.pages)

    @api.get(
        "/v1/stations",
        response_class=Response,
        responses={200: {"model": StationList, "description": "stations of the latest forecast"}, **PROBLEM_RESPONSES},
        summary="Stations of the latest forecast",
    )
    async def list_stations(
        request: Request,
        page: Annotated[Paging, Depends(paging)],
        province: Annotated[str | None, Query(max_length=80, description="only this province, e.g. Hà Nội")] = None,
        lang: LangQuery = None,
        accept_language: AcceptLanguage = None,
    ) -> Response:
        chosen = choose_lang(lang, accept_language)
        release = ctx.releases.current()
        if release is None:
            body = {"api_version": "v1", "lang": chosen, "run_id": None,
                    "page": page_info(request, page, False, 0, settings.base_url), "items": []}  # fmt: skip
            return ctx.representation(json_bytes(body), JSON, 0, lang=chosen).respond(request)  # revalidate: none yet

        def build() -> Representation:
            entries = station_entries(ctx, release, chosen)
            if province is not None:
                entries = [e for e in entries if e["province"].casefold() == province.casefold()]
            items, more = take(entries, page)
            info = page_info(request, page, more, len(entries), settings.base_url)
            body = {"api_version": "v1", "lang": chosen, "run_id": release.run_id, "page": info, "items": items}
            headers = (("link", f'<{info["next"]}>; rel="next"'),) if info["next"] else ()
            return ctx.representation(
                json_bytes(body), JSON, settings.cache.stations, last_modified=release.last_modified, lang=chosen,
                headers=headers,
            )  # fmt: skip

        key = ("stations", chosen, province, page.limit, page.offset, settings.base_url)
        return release.cached(key, build, varying=True).respond(request)

    @api.get(
        "/v1/stations/{station_id}",
        response_class=Response,
        responses={200: {"model": Station, "description": "the station"}, **PROBLEM_RESPONSES},
        summary="One station: names, province, coordinates, latest observation, flags",
    )
    async def get_station(
        request: Request, station_id: StationId, lang: LangQuery = None, accept_language: AcceptLanguage = None
    ) -> Response:
        chosen = choose_lang(lang, accept_language)
        release = require_release(ctx)
        require_station(release, station_id)

        def build() -> Representation:
            entry = next(e for e in station_entries(ctx, release, chosen) if e["id"] == station_id)
            return ctx.representation(
                json_bytes(entry), JSON, settings.cache.stations, last_modified=release.last_modified, lang=chosen
            )

        return release.cached(("station", station_id, chosen), build).respond(request)

    @api.get(
        "/v1/stations/{station_id}/forecast",
        response_class=Response,
        responses={200: {"model": StationForecast, "description": "the station's forecast"}, **PROBLEM_RESPONSES},
        summary="Forecast of one station: 72 h hourly and D1–D3 daily VN_AQI with uncertainty",
        description=FORECAST_DESCRIPTION,
    )
    async def get_station_forecast(
        request: Request, station_id: StationId, lang: LangQuery = None, accept_language: AcceptLanguage = None
    ) -> Response:
        release = require_release(ctx)
        return forecast_representation(ctx, release, station_id, choose_lang(lang, accept_language)).respond(request)

    @api.get(
        "/v1/forecast",
        response_class=Response,
        responses={200: {"model": NearestForecast, "description": "nearest stations' forecasts"}, **PROBLEM_RESPONSES},
        summary="Forecast at a point: the nearest station(s) with their distance",
        description="The `n` forecast stations nearest to (lat, lon) by great-circle distance [km], nearest "
        "first, each with its full forecast (as /v1/stations/{id}/forecast).\n\n" + FORECAST_DESCRIPTION,
    )
    async def nearest_forecast(
        request: Request,
        lat: Annotated[float, Query(ge=-90, le=90, description="latitude [degrees north, WGS84]")],
        lon: Annotated[float, Query(ge=-180, le=180, description="longitude [degrees east, WGS84]")],
        n: Annotated[int, Query(ge=1, le=settings.nearest_max, description="how many stations")] = 1,
        lang: LangQuery = None,
        accept_language: AcceptLanguage = None,
    ) -> Response:
        chosen = choose_lang(lang, accept_language)
        release = require_release(ctx)

        def build() -> Representation:
            located = [s for s in release.stations().values() if s.get("latitude") is not None]
            ranked = sorted(
                ((haversine_km(lat, lon, s["latitude"], s["longitude"]), s["id"]) for s in located),
                key=lambda item: item[0],
            )[:n]
            parts = [
                b'{"distance_km":' + json_bytes(round(km, 3)) + b',"forecast":'
                + forecast_representation(ctx, release, sid, chosen).body + b"}"
                for km, sid in ranked
            ]  # fmt: skip
            head = {"api_version": "v1", "latitude": lat, "longitude": lon, "distance_unit": "km"}
            body = json_bytes(head)[:-1] + b',"results":[' + b",".join(parts) + b"]}"
            return ctx.representation(
                body, JSON, settings.cache.forecast, last_modified=release.last_modified, lang=chosen
            )

        return release.cached(("nearest", lat, lon, n, chosen), build, varying=True).respond(request)

    return api
