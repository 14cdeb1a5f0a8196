"""The contract every fetcher module follows, and the step loop shared by the index-based fetchers.

A fetcher is a module of this package with two functions (Herbie's one-template-per-source idea):

``validate(source: SourceConfig) -> None``
    Raise :class:`~met_inputs.fetch.errors.SourceSetupError` naming the source and the field when the
    configuration cannot work (checked for every requested source before anything is fetched).
``fetch(ctx: FetchContext) -> None``
    Put the source's files for ``ctx.cycle`` in ``ctx.folder``, recording each in ``ctx.manifest``
    (through :meth:`FetchContext.fetched` / :meth:`FetchContext.kept`) and calling
    ``ctx.manifest.complete(names)`` at the end. Raise
    :class:`~met_inputs.fetch.errors.SourceNotYetAvailable` (via :meth:`FetchContext.not_available`)
    when the provider has not published yet, :class:`~met_inputs.fetch.errors.FetchError` otherwise.

Optional module attribute ``SKIP_WHEN_COMPLETE`` (default ``True``): when the manifest says the source
is complete and every file still matches its checksum, :func:`~met_inputs.fetch.fetch_cycle` skips the
fetcher altogether (no network). ``local`` sets it to ``False`` because files may be re-delivered.

Adding a source kind = adding a module and one line in ``met_inputs/fetch/__init__.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from configs.sources import SourceConfig
from met_inputs.fetch.errors import FetchError, RemoteNotFound, SourceNotYetAvailable, SourceSetupError, redact_url
from met_inputs.fetch.http import HttpClient, merge_ranges
from met_inputs.fetch.manifest import FileRecord, Manifest, utc_now_text

__all__ = ["FetchContext", "FetchStats", "IndexedMessage", "fetch_indexed_steps", "require"]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
"""Called with (source name, files done, files expected) as a source progresses."""


@dataclass
class FetchStats:
    """Counters of one source's fetch: files downloaded and kept, bytes downloaded [bytes]."""

    fetched: int = 0
    kept: int = 0
    bytes: int = 0


@dataclass
class FetchContext:
    """Everything a fetcher needs for one source and one cycle.

    Parameters
    ----------
    source : SourceConfig
        The source's configuration.
    cycle : pandas.Timestamp
        Initialisation time of the cycle [UTC].
    folder : pathlib.Path
        ``<home>/<inputs_dir>/<cycle>/<source name>/``.
    now : pandas.Timestamp
        Time against which lateness is judged [UTC].
    http : HttpClient
        Download layer with this source's retry policy.
    manifest : Manifest
        The source's manifest for the cycle.
    env : mapping
        Environment to read credentials from (``os.environ`` by default).
    client_factories : mapping
        Per source kind, a callable building a provider client (tests inject fakes here).
    progress : callable, optional
        Called with (source name, files done, files expected).
    """

    source: SourceConfig
    cycle: pd.Timestamp
    folder: Path
    now: pd.Timestamp
    http: HttpClient
    manifest: Manifest
    env: Mapping[str, str] = field(default_factory=dict)
    client_factories: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    progress: ProgressCallback | None = None
    stats: FetchStats = field(default_factory=FetchStats)

    @property
    def expected_at(self) -> pd.Timestamp:
        """When the source is usually complete: cycle + ``available_after_h`` [UTC]."""
        return self.cycle + pd.Timedelta(hours=self.source.available_after_h)

    @property
    def stamp(self) -> str:
        """Cycle as ``YYYYMMDDHH``, used in file names."""
        return self.cycle.strftime("%Y%m%d%H")

    def step_file(self, step_h: int, suffix: str = "grib2") -> str:
        """File name of one forecast step, e.g. ``ifs_2026112200_f003.grib2``."""
        return f"{self.source.name}_{self.stamp}_f{step_h:03d}.{suffix}"

    def not_available(self, what: str) -> NoReturn:
        """Raise for something the provider has not published: late before ``expected_at``, an error after.

        Parameters
        ----------
        what : str
            The missing URL (redacted here) or a description of what is missing.
        """
        if self.now < self.expected_at:
            if self.manifest.late_since is None:
                self.manifest.late_since = utc_now_text(self.now)
                self.manifest.save()
            raise SourceNotYetAvailable(
                self.source.name,
                self.cycle,
                self.expected_at,
                pd.Timestamp(self.manifest.late_since),
                self.now,
                redact_url(what) if "://" in what else what,
            )
        hours = self.source.available_after_h
        raise FetchError(
            what,
            f"not found, although the source should be complete since {self.expected_at:%Y-%m-%d %H:%MZ} "
            f"(cycle + available_after_h={hours:g} h)",
        )

    def fetched(self, record: FileRecord) -> None:
        """Record a file just downloaded or copied."""
        self.manifest.add(record)
        self.stats.fetched += 1
        self.stats.bytes += record.size

    def kept(self, record: FileRecord) -> None:
        """Count a file already complete and intact (verified against the manifest)."""
        self.stats.kept += 1
        log.debug("%s: %s already complete", self.source.name, record.file)

    def report_progress(self, done: int, total: int) -> None:
        """Tell the progress callback, if any."""
        if self.progress is not None:
            self.progress(self.source.name, done, total)


def require(source: SourceConfig, condition: bool, field_name: str, reason: str) -> None:
    """Raise :class:`SourceSetupError` naming the source and field unless ``condition`` holds."""
    if not condition:
        raise SourceSetupError(f"source {source.name!r} (kind {source.kind}): {field_name}: {reason}")


@dataclass(frozen=True)
class IndexedMessage:
    """One GRIB message located by an index: byte offset, length [bytes] (``None`` = to end of file), label."""

    offset: int
    length: int | None
    label: str

    @property
    def byte_range(self) -> tuple[int, int | None]:
        """Inclusive byte range of the message."""
        return self.offset, None if self.length is None else self.offset + self.length - 1


Selector = Callable[[str, str, int], tuple[list[IndexedMessage], list[str]]]
"""(index text, index URL, step [h]) -> (messages to fetch, requested fields missing from the index)."""


def fetch_indexed_steps(ctx: FetchContext, urls: Callable[[int], tuple[str, str]], select: Selector) -> None:
    """Fetch every configured step of an index-based source: one file per step, by byte ranges.

    For each step in ``ctx.source.steps_h`` (in order): keep the file if the manifest vouches for it;
    otherwise read the step's index, pick the messages, download their byte ranges (adjacent ones
    joined into one request) into ``ctx.step_file(step)``. A missing index or file stops the loop
    through :meth:`FetchContext.not_available` (later steps are published later).

    Parameters
    ----------
    ctx : FetchContext
        The source and cycle.
    urls : callable
        Step [h] -> (data file URL, index URL).
    select : callable
        See :data:`Selector`.
    """
    steps = list(ctx.source.steps_h)
    names = [ctx.step_file(step) for step in steps]
    for done, (step, name) in enumerate(zip(steps, names, strict=True)):
        ctx.report_progress(done, len(steps))
        record = ctx.manifest.verified(name)
        if record is not None:
            ctx.kept(record)
            continue
        data_url, index_url = urls(step)
        try:
            text = ctx.http.get_text(index_url)
        except RemoteNotFound:
            ctx.not_available(index_url)
        messages, missing = select(text, index_url, step)
        if not messages:
            raise FetchError(index_url, f"none of the requested fields is in the index (missing: {', '.join(missing)})")
        if missing:
            log.warning("%s step %d h: not in the index, skipped: %s", ctx.source.name, step, ", ".join(missing))
        messages = sorted({m.offset: m for m in messages}.values(), key=lambda m: m.offset)
        ranges = merge_ranges([m.byte_range for m in messages])
        try:
            result = ctx.http.download(data_url, ctx.folder / name, ranges=ranges)
        except RemoteNotFound:
            ctx.not_available(data_url)
        ctx.fetched(
            FileRecord(
                file=name,
                size=result.size,
                sha256=result.sha256,
                url=result.url,
                fetched_at=utc_now_text(),
                step_h=step,
                ranges=[list(r) for r in ranges],
                messages=[m.label for m in messages],
                missing=missing,
            )
        )
        log.info("%s: step %d h, %d messages, %d bytes", ctx.source.name, step, len(messages), result.size)
    ctx.report_progress(len(steps), len(steps))
    ctx.manifest.complete(names)
