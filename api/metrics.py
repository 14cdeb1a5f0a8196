"""Prometheus metrics of one app (its own registry, no global state): requests by route template and status,
latency histogram, and the age of the release being served.

Requests are counted in plain dicts (:class:`RequestStats`) and turned into Prometheus families only when
``/metrics`` is scraped: a labelled ``Counter.inc`` plus ``Histogram.observe`` cost more than a cached answer
of the fast lane. Only the event-loop thread updates or reads the dicts (the middleware, the fast lane and
the ``/metrics`` route are all async), so they need no lock. The route template comes from the scope
Starlette's router fills in, so ``/v1/stations/{station_id}/forecast`` is one series, not one per station.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds of the latency histogram [s] (``le``); one more bucket counts the rest (+Inf)."""
UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


class RequestStats:
    """Request counts by (method, route, status) and latency bucket counts and sums by route."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}
        self.latency: dict[str, tuple[list[int], list[float]]] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request that took ``seconds`` [s]."""
        key = (method, route, str(status))
        self.counts[key] = self.counts.get(key, 0) + 1
        found = self.latency.get(route)
        if found is None:
            found = self.latency[route] = ([0] * (len(BUCKETS) + 1), [0.0])
        found[0][bisect_left(BUCKETS, seconds)] += 1
        found[1][0] += seconds


class _StatsCollector(Collector):
    def __init__(self, stats: RequestStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "vnaqi_api_requests",
            "HTTP requests by method, route template and status",
            labels=["method", "route", "status"],
        )
        for labels, count in sorted(self.stats.counts.items()):
            requests.add_metric(list(labels), count)
        yield requests
        latency = HistogramMetricFamily(
            "vnaqi_api_request_duration_seconds", "Time to answer a request [s], by route template", labels=["route"]
        )
        for route, (counts, total) in sorted(self.stats.latency.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([route], buckets, total[0])
        yield latency


class ApiMetrics:
    """The statistics and the Prometheus registry of one app."""

    def __init__(self, release_age_s: Callable[[], float]) -> None:
        self.stats = RequestStats()
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_StatsCollector(self.stats))
        age = Gauge(
            "vnaqi_api_latest_release_age_seconds",
            "Age of the release products/latest points at [s] (NaN when there is none)",
            registry=self.registry,
        )
        age.set_function(release_age_s)

    def exposition(self) -> tuple[bytes, str]:
        """The Prometheus text format and its media type (call from the event-loop thread)."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts and times every HTTP request by route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.stats = metrics.stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.stats.record(method, template, status, time.perf_counter() - start)
