"""Files already on this machine (kind ``local``): an NWP/CTM feed dropped by another system, or a test set.

``path_pattern`` is a glob with ``strftime`` fields of the cycle, e.g.
``/data/wrf/%Y%m%d%H/wrfout_*.grib2``. Every matching file is placed in the cycle's inputs folder:

* **hard link** (``options.mode: link``, the default) when the file is on the same file system —
  instant and no extra space; otherwise
* **copy** (``options.mode: copy``, or the fall-back when linking is impossible), written to
  ``<file>.part`` and renamed.

We do not merely reference the originals in the manifest: the inputs folder of a cycle is then
self-contained, so the upstream drop folder may be purged without breaking a run's provenance, and
every input of every source is found in the same place by the readers. The manifest records where
each file came from (``source_path``) and its SHA-256; a later run re-copies a file whose original
changed size or was modified after it was taken.

No match yet is *late* before ``available_after_h`` (exit code 3) and an error after it.
``options.min_files`` (default 1) sets how many matches make the source complete.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
from pathlib import Path

import pandas as pd

from configs.sources import SourceConfig
from met_inputs.fetch.base import FetchContext, require
from met_inputs.fetch.errors import FetchError
from met_inputs.fetch.manifest import FileRecord, sha256_file, utc_now_text

__all__ = ["fetch", "matching_files", "validate"]

log = logging.getLogger(__name__)

_MODES = ("link", "copy")

SKIP_WHEN_COMPLETE = False
"""Look again every time: files may be added or re-delivered upstream after the source was complete."""


def validate(source: SourceConfig) -> None:
    """Check ``path_pattern`` and options."""
    require(source, bool(source.path_pattern), "path_pattern", "a glob with strftime fields is needed")
    mode = source.options.get("mode", "link")
    require(source, mode in _MODES, "options.mode", f"{mode!r} is not one of {', '.join(_MODES)}")
    min_files = source.options.get("min_files", 1)
    require(source, isinstance(min_files, int) and min_files >= 1, "options.min_files", "must be an integer >= 1")


def matching_files(source: SourceConfig, cycle: pd.Timestamp) -> tuple[str, list[Path]]:
    """The expanded pattern and the regular files it matches, sorted by name."""
    pattern = os.path.expanduser(cycle.strftime(str(source.path_pattern)))
    files = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file() and not p.endswith(".part"))
    return pattern, files


def _unchanged(src: Path, record: FileRecord) -> bool:
    stat = src.stat()
    return record.source_path == str(src) and stat.st_size == record.size and stat.st_mtime == record.source_mtime


def _place(src: Path, dest: Path, mode: str) -> str:
    """Hard-link or copy ``src`` to ``dest`` atomically; returns how it was done."""
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    if mode == "link":
        try:
            os.link(src, tmp)
            os.replace(tmp, dest)
            return "linked"
        except OSError as exc:
            log.debug("cannot hard-link %s (%s); copying", src, exc)
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return "copied"


def fetch(ctx: FetchContext) -> None:
    """Link or copy the cycle's matching files into ``ctx.folder``."""
    source = ctx.source
    pattern, files = matching_files(source, ctx.cycle)
    min_files = int(source.options.get("min_files", 1))
    if len(files) < min_files:
        ctx.not_available(f"files matching {pattern} (found {len(files)}, need {min_files})")
    names = [f.name for f in files]
    twins = sorted({n for n in names if names.count(n) > 1})
    if twins:
        raise FetchError(pattern, f"several matches share a file name ({', '.join(twins)}); make the pattern narrower")
    ctx.folder.mkdir(parents=True, exist_ok=True)
    mode = source.options.get("mode", "link")
    for done, src in enumerate(files):
        ctx.report_progress(done, len(files))
        record = ctx.manifest.verified(src.name)
        if record is not None and _unchanged(src, record):
            ctx.kept(record)
            continue
        mtime = src.stat().st_mtime
        how = _place(src, ctx.folder / src.name, mode)
        dest = ctx.folder / src.name
        ctx.fetched(
            FileRecord(
                file=src.name,
                size=dest.stat().st_size,
                sha256=sha256_file(dest),
                url=None,
                fetched_at=utc_now_text(),
                source_path=str(src),
                source_mtime=mtime,
            )
        )
        log.info("%s: %s %s", source.name, how, src)
    ctx.report_progress(len(files), len(files))
    ctx.manifest.complete(names)
