"""Fetch the gridded inputs of a cycle (NWP, CTM) into ``<home>/<inputs_dir>/<cycle>/<source>/``.

One entry point, :func:`fetch_cycle`, over one module per source kind (the contract is in
:mod:`met_inputs.fetch.base`):

=================  ===========================================================================
kind               module
=================  ===========================================================================
``ecmwf-opendata`` :mod:`~met_inputs.fetch.ecmwf_opendata` — IFS open data, ``.index`` byte ranges
``gfs``            :mod:`~met_inputs.fetch.gfs` — NCEP GFS (AWS layout), ``.idx`` byte ranges
``cams-ads``       :mod:`~met_inputs.fetch.cams` — CAMS global forecasts via the ADS API (extra ``[cams]``)
``local``          :mod:`~met_inputs.fetch.local` — files already on disk, hard-linked or copied
=================  ===========================================================================

Each source's folder holds its files and a ``manifest.json`` (:mod:`~met_inputs.fetch.manifest`).
Running again is cheap and safe: complete, intact files are kept, interrupted downloads resume.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import pandas as pd

from configs.settings import HomeLayout
from configs.sources import SourceConfig, SourcesConfig
from met_inputs.fetch import cams, ecmwf_opendata, gfs, local
from met_inputs.fetch.base import FetchContext, ProgressCallback
from met_inputs.fetch.errors import (
    ChecksumMismatch,
    FetchError,
    MissingExtraError,
    RemoteNotFound,
    SourceNotYetAvailable,
    SourceSetupError,
)
from met_inputs.fetch.http import HttpClient, RetryPolicy
from met_inputs.fetch.manifest import FolderBusyError, Manifest, folder_lock
from met_inputs.fetch.report import FetchReport, SourceResult

__all__ = [
    "FETCHERS",
    "ChecksumMismatch",
    "FetchError",
    "FetchReport",
    "MissingExtraError",
    "RemoteNotFound",
    "SourceNotYetAvailable",
    "SourceResult",
    "SourceSetupError",
    "cycle_folder",
    "fetch_cycle",
    "select_sources",
    "source_fingerprint",
]

log = logging.getLogger(__name__)

FETCHERS: Mapping[str, ModuleType] = MappingProxyType(
    {"ecmwf-opendata": ecmwf_opendata, "gfs": gfs, "cams-ads": cams, "local": local}
)
"""Fetcher module of every source kind (each has ``validate(source)`` and ``fetch(ctx)``)."""

_NOT_CONTENT = {"enabled", "priority", "role", "retries", "timeout_s", "available_after_h", "base_url"}
_NOT_CONTENT_OPTIONS = {"backoff_s", "max_backoff_s", "max_retry_after_s"}


def _utc(ts: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        raise ValueError(f"time {ts!r} has no time zone; give UTC times such as 2026-11-22T00:00Z")
    return stamp.tz_convert("UTC")


def cycle_folder(layout: HomeLayout, sources_config: SourcesConfig, cycle: pd.Timestamp) -> Path:
    """``<home>/<inputs_dir>/<cycle id>``, e.g. ``vnaqi-home/inputs/2026-11-22T00Z``."""
    return layout.root / sources_config.inputs_dir / _utc(cycle).strftime("%Y-%m-%dT%HZ")


def source_fingerprint(source: SourceConfig) -> str:
    """Hash of the settings that decide what a source's files contain (not retries, mirrors or timing)."""
    data = source.model_dump(mode="json", exclude=_NOT_CONTENT)
    data["options"] = {k: v for k, v in data["options"].items() if k not in _NOT_CONTENT_OPTIONS}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def select_sources(sources_config: SourcesConfig, only: Iterable[str] | None = None) -> list[SourceConfig]:
    """The sources to fetch: the enabled ones, or exactly those named in ``only`` (even if disabled).

    Raises
    ------
    ValueError
        Naming the unknown source(s) and the known ones.
    """
    if not only:
        return [s for s in sources_config.sources if s.enabled]
    by_name = {s.name: s for s in sources_config.sources}
    names = list(dict.fromkeys(only))
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; sources.yaml has {', '.join(by_name)}")
    return [by_name[n] for n in names]


def fetch_cycle(
    layout: HomeLayout,
    sources_config: SourcesConfig,
    cycle_ts: pd.Timestamp,
    only: Iterable[str] | None = None,
    now: pd.Timestamp | None = None,
    *,
    progress: ProgressCallback | None = None,
    env: Mapping[str, str] | None = None,
    client_factories: Mapping[str, Callable[..., Any]] | None = None,
    http_factory: Callable[[RetryPolicy], HttpClient] | None = None,
) -> FetchReport:
    """Fetch every requested source of one cycle; one failing source does not stop the others.

    Parameters
    ----------
    layout : HomeLayout
        The service home; files go to ``<home>/<inputs_dir>/<cycle>/<source>/``.
    sources_config : SourcesConfig
        Parsed ``sources.yaml``.
    cycle_ts : pandas.Timestamp
        Initialisation time of the cycle (timezone-aware) [UTC].
    only : iterable of str, optional
        Source names to fetch (default: every enabled source).
    now : pandas.Timestamp, optional
        Time against which lateness is judged (default: the current time) [UTC].
    progress : callable, optional
        Called with (source name, files done, files expected).
    env : mapping, optional
        Environment for credentials (default ``os.environ``).
    client_factories : mapping, optional
        Per kind, a provider-client factory (tests inject a fake ADS client under ``"cams-ads"``).
    http_factory : callable, optional
        Builds the :class:`HttpClient` of a source from its :class:`RetryPolicy`.

    Returns
    -------
    FetchReport
        Per source: complete / skipped (already complete) / late / failed, files, bytes, seconds.

    Raises
    ------
    ValueError
        Before anything is fetched, for an unknown source name, a naive time, or a source whose
        configuration its fetcher cannot use (:class:`SourceSetupError`).
    """
    cycle = _utc(cycle_ts)
    now = pd.Timestamp.now(tz="UTC") if now is None else _utc(now)
    selected = select_sources(sources_config, only)
    for source in selected:
        FETCHERS[source.kind].validate(source)
    folder = cycle_folder(layout, sources_config, cycle)
    context = dict(
        env=os.environ if env is None else env,
        client_factories=client_factories or {},
        progress=progress,
        http_factory=http_factory or HttpClient,
    )
    results = []
    for source in selected:
        results.append(_fetch_source(source, cycle, folder / source.name, now, **context))
        log.info("%s: %s %s", source.name, results[-1].status, results[-1].reason)
    return FetchReport(cycle, tuple(results))


def _fetch_source(
    source: SourceConfig,
    cycle: pd.Timestamp,
    folder: Path,
    now: pd.Timestamp,
    *,
    env: Mapping[str, str],
    client_factories: Mapping[str, Callable[..., Any]],
    progress: ProgressCallback | None,
    http_factory: Callable[[RetryPolicy], HttpClient],
) -> SourceResult:
    """Run one source's fetcher under its folder lock and turn the outcome into a :class:`SourceResult`."""
    started = time.monotonic()
    expected_at = cycle + pd.Timedelta(hours=source.available_after_h)

    def result(status: str, reason: str = "", ctx: FetchContext | None = None, files: int = 0) -> SourceResult:
        stats = ctx.stats if ctx is not None else None
        return SourceResult(
            name=source.name,
            kind=source.kind,
            status=status,
            folder=folder,
            files=files if ctx is None else len(ctx.manifest.files),
            fetched=stats.fetched if stats else 0,
            bytes=stats.bytes if stats else 0,
            seconds=time.monotonic() - started,
            reason=reason,
            expected_at=expected_at,
        )

    try:
        with folder_lock(folder):
            manifest = Manifest.load(
                folder, source.name, source.kind, cycle.strftime("%Y-%m-%dT%HZ"), source_fingerprint(source)
            )
            if getattr(FETCHERS[source.kind], "SKIP_WHEN_COMPLETE", True) and manifest.all_verified():
                return result("skipped", "already complete", files=len(manifest.expected or []))
            http = http_factory(RetryPolicy.from_source(source))
            ctx = FetchContext(
                source=source,
                cycle=cycle,
                folder=folder,
                now=now,
                http=http,
                manifest=manifest,
                env=env,
                client_factories=client_factories,
                progress=progress,
            )
            try:
                FETCHERS[source.kind].fetch(ctx)
            except SourceNotYetAvailable as exc:
                return result("late", str(exc), ctx)
            except (FetchError, MissingExtraError, SourceSetupError, OSError) as exc:
                return result("failed", str(exc), ctx)
            except Exception as exc:  # one source's bug must not stop the others
                log.error("%s: unexpected %s: %s", source.name, type(exc).__name__, exc, exc_info=True)
                return result("failed", f"unexpected {type(exc).__name__}: {exc}", ctx)
            finally:
                http.close()
            missing = sorted({m for rec in ctx.manifest.files.values() for m in rec.missing})
            note = f"absent from some steps' index: {', '.join(missing)}" if missing else ""
            if ctx.stats.fetched == 0:
                return result("skipped", "already complete", ctx)
            return result("complete", note, ctx)
    except FolderBusyError as exc:
        return result("failed", str(exc))
