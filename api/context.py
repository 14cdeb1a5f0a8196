"""What the routes of one app share: the home, its settings and the readers of its products.

Made by :func:`api.app.create_app` and handed to each router factory: nothing lives at module level, so
two apps on two homes (tests) never see each other's caches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request

from api.bulletin_store import BulletinStore
from api.cap_alerts import AlertStore
from api.catalogue_access import NO_CATALOGUE, CatalogueAccess
from api.problems import ApiProblem
from api.releases import ReleaseStore
from api.representation import Representation
from api.security.auth import Authenticator, Principal
from api.security.sessions import SessionCodec, load_secret
from configs.api import ApiSettings
from configs.networks import NetworkConfigError, StationRegistry, registry_for_home
from configs.settings import HomeLayout
from forecast.catalogue import RunCatalogue

log = logging.getLogger(__name__)
FILE_CACHE_MAX = 512


@dataclass
class ApiContext:
    """One app's state: home layout, settings, clock and the stores that read the home."""

    layout: HomeLayout
    settings: ApiSettings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    releases: ReleaseStore = field(init=False)
    bulletins: BulletinStore = field(init=False)
    alerts: AlertStore = field(init=False)
    catalogue: CatalogueAccess = field(init=False)
    _files: dict[tuple, Representation] = field(default_factory=dict, init=False, repr=False)
    _files_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _registry: tuple[tuple, StationRegistry | None] | None = field(default=None, init=False, repr=False)
    _auth: Authenticator | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.releases = ReleaseStore(self.layout.products, self.layout.root, self.settings.release_check_seconds)
        self.bulletins = BulletinStore(self.layout.root)
        self.alerts = AlertStore(self.layout.root)
        self.catalogue = CatalogueAccess(self.layout, self.settings.catalogue_url)

    @property
    def auth(self) -> Authenticator:
        """Who is asking (API key or session cookie); the signing key ``<home>/secret.key`` is made on first use."""
        if self._auth is None:
            codec = SessionCodec(load_secret(self.layout.root), int(self.settings.session.max_age_hours * 3600))
            self._auth = Authenticator(self.writable_catalogue, codec)
        return self._auth

    def auth_dependency(self, *roles: str) -> Callable:
        """A FastAPI dependency admitting only ``roles`` (default forecasters and admins), made without touching
        the signing key until a request needs it."""

        async def dependency(request: Request) -> Principal:
            return await self.auth.require(*roles)(request)

        return dependency

    def writable_catalogue(self) -> RunCatalogue:
        """The catalogue for a write or a login; 503 problem when this home has none or it is unreachable."""
        catalogue = self.catalogue.get()
        if catalogue is None:
            raise ApiProblem(503, NO_CATALOGUE, slug="unavailable")
        return catalogue

    def link(self, path: str) -> str:
        """``path`` under the configured base URL (relative when none is set)."""
        return self.settings.base_url + path

    def representation(
        self,
        body: bytes,
        media_type: str,
        max_age: int,
        *,
        last_modified: float | None = None,
        lang: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Representation:
        """A :class:`Representation` with this app's gzip threshold; ``lang``: the body's language (chosen by
        the request: ``Content-Language`` and ``Vary: Accept-Language``)."""
        if lang is not None:
            headers = (("content-language", lang), *headers)
        return Representation(
            body, media_type, max_age, last_modified=last_modified, vary_language=lang is not None,
            gzip_min_bytes=self.settings.gzip_min_bytes, extra_headers=headers,
        )  # fmt: skip

    def file_representation(
        self, path: Path, media_type: str, max_age: int, *, lang: str | None = None
    ) -> Representation:
        """The bytes of an immutable published file, read once per (path, mtime, size)."""
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, media_type, max_age, lang)
        found = self._files.get(key)
        if found is None:
            found = self.representation(path.read_bytes(), media_type, max_age, last_modified=stat.st_mtime, lang=lang)
            with self._files_lock:
                if len(self._files) >= FILE_CACHE_MAX:
                    self._files.clear()
                self._files[key] = found
        return found

    def registry(self) -> StationRegistry | None:
        """Packaged networks plus the home's ``networks/*.yaml`` (re-read when those change); None if invalid."""
        folder = self.layout.networks
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        key = tuple((p.name, p.stat().st_mtime_ns) for p in files)
        if self._registry is None or self._registry[0] != key:
            try:
                registry: StationRegistry | None = registry_for_home(folder)
            except NetworkConfigError as exc:
                log.error("station networks unreadable, station details left out: %s", exc)
                registry = None
            self._registry = (key, registry)
        return self._registry[1]
