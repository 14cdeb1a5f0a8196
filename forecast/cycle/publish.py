"""Atomic publication of a finished run and its bulletin as plain files under ``<home>/products``.

``products/<cycle>`` and ``products/latest`` are symbolic links to a *release folder*
``products/.releases/<cycle>/<run name>.bulletin-v<K>/`` that holds, as hard links (the originals are never
rewritten), the run's files (``forecast.json``, ``forecast.nc``, ``manifest.json``, ``health.csv``), the
bulletin version's files (``bulletin.vi.html`` … ``card.NN.en.png``) and ``release.json`` saying what was
released, by whom and whether a forecaster reviewed it. A plain web server or a TV station's script can
pick up ``products/latest/bulletin.vi.txt`` without the API.

A release folder appears complete in one rename, and each link is replaced in one ``rename`` of a new link
over the old one, so a reader following them sees the previous release or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

LATEST = "latest"
COMPLETE_MARKER = "manifest.json"
RELEASE_FILE = "release.json"
RELEASES = ".releases"
RUN_FILES = ("forecast.json", "forecast.nc", "manifest.json", "health.csv")


def _swap_link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    staging = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    staging.symlink_to(os.path.relpath(target, link.parent))
    os.replace(staging, link)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a copy is as good for immutable files
        shutil.copy2(source, target)


def _release_folder(products: Path, run_dir: Path, cycle: str, bulletin_dir: Path | None, meta: dict[str, Any]) -> Path:
    """The release folder of (run, bulletin version), made complete in one rename if it does not exist."""
    name = run_dir.name + (f".{bulletin_dir.name}" if bulletin_dir is not None else "")
    cycle_dir = products / RELEASES / cycle
    final = cycle_dir / name
    cycle_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cycle_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; a plain web server must be able to read it
    try:
        for source in [run_dir / f for f in RUN_FILES] + sorted(bulletin_dir.iterdir() if bulletin_dir else []):
            if source.is_file():
                _link_or_copy(source, staging / source.name)
        release = {
            "schema": "vnaqi.release/1",
            "cycle": cycle,
            "run_id": f"{cycle}/{run_dir.name}",
            "run_dir": os.path.relpath(run_dir, final),
            "bulletin_id": f"{cycle}/{run_dir.name}" if bulletin_dir is not None else None,
            "bulletin_version": bulletin_dir.name if bulletin_dir is not None else None,
            **meta,
        }
        (staging / RELEASE_FILE).write_text(json.dumps(release, ensure_ascii=False, indent=1), encoding="utf-8")
        if final.exists():  # the same run and bulletin version released again (e.g. links lost): reuse it
            shutil.rmtree(staging)
            return final
        os.rename(staging, final)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish_run(
    products: Path,
    run_dir: Path,
    cycle: str,
    *,
    as_latest: bool = True,
    bulletin_dir: Path | None = None,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Release ``run_dir`` (and its bulletin version ``bulletin_dir``): point ``products/<cycle>`` (and
    ``products/latest`` unless an older cycle) at its release folder; return that folder.

    Raises ``ValueError`` if ``run_dir`` is not a complete run (no manifest).
    """
    if not (run_dir / COMPLETE_MARKER).is_file():
        raise ValueError(f"{run_dir} is not a complete run (no {COMPLETE_MARKER}); refusing to publish it")
    folder = _release_folder(products, run_dir.resolve(), cycle, bulletin_dir, meta or {})
    _swap_link(products / cycle, folder)
    if as_latest:
        _swap_link(products / LATEST, folder)
    return folder


def release_info(products: Path, cycle: str = LATEST) -> dict[str, Any] | None:
    """``release.json`` of what ``products/<cycle>`` (default the latest) points at, or ``None``."""
    link = products / cycle
    path = link / RELEASE_FILE
    if not link.is_symlink() or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def published_run(products: Path, cycle: str = LATEST) -> Path | None:
    """The run folder published for ``cycle`` (default the latest), or ``None``."""
    link = products / cycle
    if not link.is_symlink() or not link.resolve().is_dir():
        return None
    folder = link.resolve()
    info = release_info(products, cycle)
    if info is None:  # a link straight to a run folder (homes published before release folders)
        return folder
    run_dir = (folder / info["run_dir"]).resolve()
    return run_dir if run_dir.is_dir() else None


def newer_than_latest(products: Path, cycle: str) -> bool:
    """True unless the latest published run is of a later cycle (a rerun of an old cycle keeps ``latest``)."""
    current = published_run(products)
    return current is None or current.parent.name <= cycle
