"""The run catalogue as the API reads it: opened once per app on first use, never created by the API.

A home whose default SQLite file does not exist yet has no runs (empty lists, 404 for a run id; nothing is
written); a configured database that cannot be reached is a 503, retried on the next request.
"""

from __future__ import annotations

import logging
import os
import threading

from api.problems import ApiProblem
from configs.settings import HomeLayout
from forecast.catalogue import URL_ENV, CatalogueError, RunCatalogue

log = logging.getLogger(__name__)
UNREACHABLE = "the run catalogue cannot be reached (details in the server log)"
NO_CATALOGUE = "no run catalogue in this home yet (no run has been made)"


class CatalogueAccess:
    """Lazily opened :class:`RunCatalogue` of a home (``url`` > ``$VNAQI_CATALOGUE_URL`` > the home's file)."""

    def __init__(self, layout: HomeLayout, url: str | None = None) -> None:
        self.layout = layout
        self.url = url or os.environ.get(URL_ENV) or None
        self._catalogue: RunCatalogue | None = None
        self._lock = threading.Lock()

    def get(self) -> RunCatalogue | None:
        """The open catalogue, None when the home has none yet; :class:`ApiProblem` 503 when unreachable."""
        if self._catalogue is not None:
            return self._catalogue
        with self._lock:
            if self._catalogue is None:
                if self.url is None and not self.layout.catalogue.is_file():
                    return None
                try:
                    self._catalogue = RunCatalogue(self.url, home_root=self.layout.root)
                except CatalogueError as exc:
                    log.error("run catalogue unavailable: %s", exc)
                    raise ApiProblem(503, UNREACHABLE, slug="unavailable") from exc
        return self._catalogue

    def check(self) -> tuple[bool, str]:
        """(reachable, what was found) for /healthz."""
        try:
            catalogue = self.get()
            if catalogue is None:
                return False, NO_CATALOGUE
            catalogue.runs(limit=1)
        except ApiProblem as exc:
            return False, exc.detail
        except CatalogueError as exc:
            log.error("run catalogue unavailable: %s", exc)
            return False, UNREACHABLE
        return True, f"run catalogue reachable ({catalogue.url.split(':', 1)[0]})"

    def close(self) -> None:
        if self._catalogue is not None:
            self._catalogue.close()
            self._catalogue = None
