"""Atomic, versioned run folders: ``<runs>/<cycle>/<name>-v<N>/``.

A run is written into a hidden temporary folder beside its final place and renamed in one step, so a
reader never sees a half-written run, and a rerun of a cycle makes a new version instead of replacing
an earlier one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

Writer = Callable[[Path], None]
_VERSION_RE = re.compile(r"^(?P<name>.+)-v(?P<version>\d+)$")


def next_version(cycle_dir: Path, name: str) -> int:
    """1 + the highest existing version of ``name`` in ``cycle_dir``."""
    versions = [
        int(m.group("version"))
        for p in cycle_dir.glob(f"{name}-v*")
        if (m := _VERSION_RE.match(p.name)) and m.group("name") == name
    ]
    return max(versions, default=0) + 1


def write_run(runs_dir: Path, cycle: str, name: str, files: Mapping[str, Writer], version: int | None = None) -> Path:
    """Write ``files`` (file name → function writing that file) as a new version; return its folder.

    ``version`` fixes the version (the run catalogue's); ``FileExistsError`` if that folder exists.
    """
    cycle_dir = runs_dir / cycle
    cycle_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cycle_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; a web server or another user must be able to read a run
    try:
        for filename, writer in files.items():
            writer(staging / filename)
        while True:
            final = cycle_dir / f"{name}-v{version or next_version(cycle_dir, name)}"
            try:
                os.rename(staging, final)  # fails if another writer took this version meanwhile
                return final
            except OSError:
                if not final.exists():
                    raise
                if version is not None:
                    raise FileExistsError(f"{final} already exists; refusing to overwrite an earlier run") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def json_writer(document: object, compact: bool = False) -> Writer:
    """A writer that dumps ``document`` as UTF-8 JSON (indented, or ``compact`` for large documents:
    no whitespace, and the C encoder, several times faster)."""

    def write(path: Path) -> None:
        layout = {"separators": (",", ":")} if compact else {"indent": 2}
        path.write_text(json.dumps(document, ensure_ascii=False, allow_nan=False, **layout), encoding="utf-8")

    return write


def latest_run(runs_dir: Path, cycle: str, name: str) -> Path | None:
    """The highest version of ``name`` for ``cycle``, or ``None``."""
    version = next_version(runs_dir / cycle, name) - 1
    return runs_dir / cycle / f"{name}-v{version}" if version else None
