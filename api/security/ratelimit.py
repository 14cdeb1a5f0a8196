"""Rate limiting of the public API: a token bucket per client address, as ASGI middleware.

Each client may burst ``burst`` requests and then ``rate_per_s`` on average; beyond that it gets
``429 Too Many Requests`` as ``application/problem+json`` with ``Retry-After``. Buckets live in the worker's
memory (bounded, least recently used dropped), so with N workers a client may get up to N times the rate:
state that next to the figure you configure. Health and metrics are never limited. The client address is
the socket's peer unless ``trust_forwarded`` (behind a reverse proxy that sets ``X-Forwarded-For``).
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

EXEMPT_PREFIXES = ("/healthz", "/metrics")
MAX_CLIENTS = 100_000


class TokenBuckets:
    """Token buckets keyed by client: ``take(key)`` → seconds to wait (0 when allowed)."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(f"rate limit needs rate_per_s > 0 and burst >= 1, got {rate_per_s}, {burst}")
        self.rate, self.burst, self._clock = rate_per_s, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, last time)

    def take(self, key: str) -> float:
        now = self._clock()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    """ASGI middleware applying :class:`TokenBuckets` to HTTP requests."""

    def __init__(self, app, buckets: TokenBuckets, *, trust_forwarded: bool = False) -> None:
        self.app, self.buckets, self.trust_forwarded = app, buckets, trust_forwarded

    def _client(self, scope) -> str:
        if self.trust_forwarded:
            for name, value in scope.get("headers", []):
                if name == b"x-forwarded-for":
                    return value.decode("latin-1").split(",")[0].strip()
        client = scope.get("client")
        return client[0] if client else "unknown"

    async def refused(self, scope, send) -> bool:
        """Answer 429 and return True when the client is over its rate; else return False having sent nothing."""
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            return False
        wait = self.buckets.take(self._client(scope))
        if wait == 0:
            return False
        retry = max(1, math.ceil(wait))
        body = json.dumps({
            "type": "about:blank", "title": "Too Many Requests", "status": 429,
            "detail": f"more than {self.buckets.burst} requests at once or {self.buckets.rate:g} per second "
                      f"from this address; retry after {retry} s",
            "instance": scope["path"],
        }).encode()  # fmt: skip
        headers = [(b"content-type", b"application/problem+json"), (b"retry-after", str(retry).encode()),
                   (b"content-length", str(len(body)).encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    async def __call__(self, scope, receive, send) -> None:
        if not await self.refused(scope, send):
            await self.app(scope, receive, send)
