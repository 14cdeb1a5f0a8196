"""The fast lane: the two hottest reads answered straight from their cached bodies, before FastAPI.

``GET /v1/stations/{id}/forecast[?lang=vi|en]`` and ``GET /v1/bulletins/latest.json`` are what apps poll. Once
the FastAPI route has built a body for the current release (validation, pydantic models, problem details —
all there), every later request for it is answered here: a check that the release is still current (a
readlink + stat, at most once a second), a dict lookup and header checks. FastAPI's routing, dependency
solving and middleware cost about ten times that (:class:`api.app.VnaqiApi` asks the lane before its
middleware stack). Anything else — another query string, a browser's ``Origin`` (CORS), a body not built
yet, no release — goes down the normal path unchanged, so the answers are the same either way.
"""

from __future__ import annotations

import re
import time

from starlette.types import Scope, Send

from api.context import ApiContext
from api.ids import STATION_ID
from api.lang import choose_lang
from api.metrics import ApiMetrics
from api.releases import file_key, forecast_key

FORECAST_PREFIX, FORECAST_SUFFIX = "/v1/stations/", "/forecast"
FORECAST_ROUTE = "/v1/stations/{station_id}/forecast"
LATEST_JSON = "/v1/bulletins/latest.json"
LATEST_ROUTE = "/v1/bulletins/latest.{fmt}"
LANG_QUERIES = {b"": None, b"lang=vi": "vi", b"lang=en": "en"}
_STATION_RE = re.compile(STATION_ID)


class FastLane:
    """Answers cache hits of the hot routes (:meth:`answer`); the app sends everything else down its stack."""

    def __init__(self, ctx: ApiContext, metrics: ApiMetrics) -> None:
        self.ctx = ctx
        self._cors = bool(ctx.settings.cors_origins)
        self._record = metrics.stats.record

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Send the cached answer to an HTTP request and return True, or return False having sent nothing."""
        if scope["method"] != "GET":  # HEAD arrives as GET with a body-dropping send (api.app.VnaqiApi)
            return False
        start = time.perf_counter()
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        if path == LATEST_JSON and not query:
            route, key_of = LATEST_ROUTE, lambda _lang: file_key("bulletin.json")
        elif path.startswith(FORECAST_PREFIX) and path.endswith(FORECAST_SUFFIX) and query in LANG_QUERIES:
            station = path[len(FORECAST_PREFIX) : -len(FORECAST_SUFFIX)]
            if not _STATION_RE.match(station):
                return False
            route, key_of = FORECAST_ROUTE, lambda lang: forecast_key(station, lang)
        else:
            return False

        accept_encoding = accept_language = if_none_match = if_modified_since = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept_encoding = value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
            elif name == b"origin":  # CORS headers are added on the normal path
                return False
        release = self.ctx.releases.current()
        if release is None:
            return False
        rep = release.peek(key_of(choose_lang(LANG_QUERIES[query] if query else None, accept_language)))
        if rep is None:
            return False
        status, headers, body = rep.answer(accept_encoding, if_none_match, if_modified_since, cors=self._cors)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self._record("GET", route, status, time.perf_counter() - start)
        return True
