"""Atomic publication of a finished run.

``<home>/products/latest`` and ``<home>/products/<cycle>`` are symbolic links to a complete run folder
(``runs/<cycle>/forecast-vN``). Each is replaced in one ``rename`` of a new link over the old one, so a
reader following them sees the previous run or the new one, never a mix; run folders themselves are
written elsewhere and appear complete in one rename (:mod:`forecast.run_store`).
"""

from __future__ import annotations

import os
from pathlib import Path

LATEST = "latest"
COMPLETE_MARKER = "manifest.json"


def _swap_link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    staging = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    staging.symlink_to(os.path.relpath(target, link.parent))
    os.replace(staging, link)


def publish_run(products: Path, run_dir: Path, cycle: str, *, as_latest: bool = True) -> Path:
    """Point ``products/<cycle>`` (and ``products/latest`` unless an older cycle) at ``run_dir``.

    Raises ``ValueError`` if ``run_dir`` is not a complete run (no manifest).
    """
    if not (run_dir / COMPLETE_MARKER).is_file():
        raise ValueError(f"{run_dir} is not a complete run (no {COMPLETE_MARKER}); refusing to publish it")
    _swap_link(products / cycle, run_dir)
    if as_latest:
        _swap_link(products / LATEST, run_dir)
    return products / cycle


def published_run(products: Path, cycle: str = LATEST) -> Path | None:
    """The run folder published for ``cycle`` (default the latest), or ``None``."""
    link = products / cycle
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def newer_than_latest(products: Path, cycle: str) -> bool:
    """True unless the latest published run is of a later cycle (a rerun of an old cycle keeps ``latest``)."""
    current = published_run(products)
    return current is None or current.parent.name <= cycle
