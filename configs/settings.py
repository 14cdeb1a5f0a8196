"""Where the service keeps its state (the *home*), and its layout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "VNAQI_HOME"
DEFAULT_HOME_NAME = "vnaqi-home"


def resolve_home(home: Path | str | None = None) -> Path:
    """The home folder: ``home`` if given, else ``$VNAQI_HOME``, else ``./vnaqi-home``. Not created here."""
    if home is not None and str(home) != "":
        return Path(home).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (Path.cwd() / DEFAULT_HOME_NAME).resolve()


@dataclass(frozen=True)
class HomeLayout:
    """Paths inside a home. Every command reads and writes only below ``root``."""

    root: Path

    @property
    def archive(self) -> Path:
        """Observation archive (hive-partitioned Parquet) and its ingest log."""
        return self.root / "archive"

    @property
    def runs(self) -> Path:
        """One folder per forecast run."""
        return self.root / "runs"

    @property
    def products(self) -> Path:
        """Published products (``products/<cycle>/…`` and ``products/latest``)."""
        return self.root / "products"

    @property
    def catalogue(self) -> Path:
        """The run catalogue database (SQLite by default)."""
        return self.root / "catalogue.sqlite"

    @property
    def networks(self) -> Path:
        """Optional extra network YAML files of this installation (added to the packaged ones)."""
        return self.root / "networks"
