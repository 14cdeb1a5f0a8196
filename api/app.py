"""The app factory of the HTTP API ``/v1``: public reads, forecasters' writes (:mod:`api.routes_review`).

``create_app(home)`` builds one FastAPI app over one home: its own caches, metrics registry and catalogue
connection (no module-level state). ``vnaqi serve`` starts uvicorn workers with :func:`app_from_env`, which
reads the home from ``$VNAQI_HOME``. Cache hits of the two hottest reads are answered before the middleware
stack (:mod:`api.fast_lane`); middleware, outermost first: metrics, CORS. Compression, ETags and
Cache-Control are done per body by :mod:`api.representation`, not by a middleware.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import (
    dashboard,
    routes_alerts,
    routes_bulletins,
    routes_ops,
    routes_review,
    routes_runs,
    routes_stations,
    routes_verification,
)
from api.context import ApiContext
from api.fast_lane import FastLane
from api.metrics import ApiMetrics, MetricsMiddleware
from api.problems import install_problem_handlers, problem_media_types, problem_response
from api.security.ratelimit import RateLimitMiddleware, TokenBuckets
from configs.api import ApiSettings, load_api_settings
from configs.settings import HomeLayout, resolve_home

log = logging.getLogger(__name__)

TITLE = "VN_AQI forecast API"
DESCRIPTION = """Public API of the VN_AQI air-quality forecasting service for Vietnam.

* **Versioned**: everything under `/v1`; fields are only added within a version (clients must ignore unknown
  fields); a breaking change makes `/v2`.
* **Times** are ISO 8601 with their UTC offset; hourly values are **hour-ending** (`hour_ending: true`: the
  value at 08:00 is the mean of 07:00–08:00); daily values cover local hours 01:00 … 24:00 (Decision 1459/QĐ-TCMT).
* **Units** are named in every body: VN_AQI is dimensionless, concentrations are µg/m³ (CO included),
  probabilities are fractions 0–1, distances km.
* **Uncertainty**: each hour carries the 10/50/90 % quantiles of each concentration; each day the probability
  of every category, the 10–90 % category range and a confidence label (high / medium / low).
* **Language**: `?lang=vi|en`, else `Accept-Language`, else Vietnamese.
* **Caching**: every read has `ETag`, `Last-Modified` and `Cache-Control`; send `If-None-Match` or
  `If-Modified-Since` to get `304`; `Accept-Encoding: gzip` gets gzip.
* **Errors** are RFC 9457 `application/problem+json` with a `detail` saying what went wrong.
* **Writes** (log in, override a station's daily category with a reason, approve, publish, rerun; the audit log)
  need a forecaster or admin: `Authorization: Bearer <API key>` (`vnaqi users key NAME`), or the cookie of
  `POST /v1/session` with its CSRF token in `X-CSRF-Token`. Anonymous writes get 401, other roles 403.
* **Rate limits**: per client address; over the limit, `429` with `Retry-After`.
* **Synthetic data**: bodies from demo inputs say `synthetic: true` and carry a notice; never present them as real.
"""


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with refused preflights answered as problem details."""

    def preflight_response(self, request_headers) -> Response:  # type: ignore[no-untyped-def]
        response = super().preflight_response(request_headers)
        if response.status_code == 400:
            detail = response.body.decode("utf-8", "replace") or "CORS preflight refused"
            problem = problem_response(400, f"CORS preflight refused: {detail}", "/")
            problem.headers.update({k: v for k, v in response.headers.items() if k.lower().startswith("vary")})
            return problem
        return response


class VnaqiApi(FastAPI):
    """FastAPI whose hottest cached reads skip the middleware stack (:mod:`api.fast_lane`), and where every
    GET route also answers HEAD (the same headers, no body)."""

    fast_lane: FastLane | None = None
    rate_limit: RateLimitMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.rate_limit is not None and await self.rate_limit.refused(scope, send):
                return
            if scope["method"] == "HEAD":
                scope, send = {**scope, "method": "GET"}, _without_body(send)
            lane = self.fast_lane
            if lane is not None and await lane.answer(scope, send):
                return
        await super().__call__(scope, receive, send)


def _without_body(send: Send) -> Send:
    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_head


def create_app(
    home: Path,
    settings: ApiSettings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The API over ``home`` (settings: ``<home>/api.yaml``, else the packaged default; ``clock`` for tests)."""
    layout = HomeLayout(Path(home).resolve())
    settings = settings or load_api_settings(home=layout.root)
    ctx = ApiContext(layout, settings, clock=clock or (lambda: datetime.now(UTC)))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        release = ctx.releases.current()  # parse the latest forecast before the first request
        if release is not None:
            release.stations()
        gc.collect()
        gc.freeze()  # what startup made lives as long as the worker: no full GC pass walks it again
        log.info("vnaqi API on %s (latest release: %s)", layout.root, release.run_id if release else "none")
        yield
        ctx.catalogue.close()
        gc.unfreeze()  # in a process that goes on (tests), what was frozen becomes collectable again

    app = VnaqiApi(
        title=TITLE,
        version="1",
        description=DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.context = ctx

    install_problem_handlers(app)
    metrics = ApiMetrics(routes_ops.release_age(ctx))
    app.state.metrics = metrics
    for router in (
        routes_stations.router(ctx),
        routes_bulletins.router(ctx),
        routes_alerts.router(ctx),
        routes_runs.router(ctx),
        routes_verification.router(ctx),
        routes_ops.router(ctx, app, metrics),
        routes_review.router(ctx),
        dashboard.router(ctx),
    ):
        app.include_router(router)
    dashboard.mount_static(app)
    if settings.cors_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["Accept", "Accept-Language", "If-None-Match", "If-Modified-Since"],
            expose_headers=["ETag", "Last-Modified", "Link", "Content-Language"],
            max_age=600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.fast_lane = FastLane(ctx, metrics)
    limits = settings.rate_limit
    if limits.enabled:  # before the fast lane too: every route but /healthz and /metrics is limited
        buckets = TokenBuckets(limits.requests_per_second, limits.burst)
        app.rate_limit = RateLimitMiddleware(None, buckets, trust_forwarded=limits.trust_forwarded)
    _document(app)
    return app


def _document(app: FastAPI) -> None:
    """Generate the OpenAPI document once, with problems under ``application/problem+json``."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = problem_media_types(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> ASGIApp:
    """Factory for ``uvicorn --factory``: the home from ``$VNAQI_HOME`` (what ``vnaqi serve`` sets)."""
    return create_app(resolve_home())
