"""A small download layer: retries with backoff, resumable and byte-range downloads, checksums.

Every file is written to ``<file>.part`` (with a ``<file>.part.json`` note of what it holds) and
renamed into place only when complete, so a reader never sees half a file. An interrupted download
resumes where it stopped, with ``Range: bytes=N-`` (guarded by ``If-Range`` when the server gave an
ETag); a server that ignores ranges gets a full download instead. Byte ranges of one remote file
(the GRIB messages picked from an index) are fetched one request per contiguous range and
concatenated in order; a broken range resumes at the byte where it broke.

Nothing here logs headers, and URLs are redacted (:func:`redact_url`) before they are logged, raised
or stored.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests
import urllib3

from met_inputs.fetch.byteranges import ByteRange, known_total, locate, merge_ranges, parse_content_range
from met_inputs.fetch.errors import ChecksumMismatch, FetchError, RemoteNotFound, redact_url
from met_inputs.fetch.manifest import sha256_file
from met_inputs.fetch.retry import RetryPolicy, Transient, parse_retry_after, with_retries

__all__ = ["ByteRange", "DownloadResult", "HttpClient", "RetryPolicy", "merge_ranges"]

log = logging.getLogger(__name__)

_MAX_SMALL_BODY = 64 * 1024 * 1024


class _RedactUrls(logging.Filter):
    """Blanks secret query values (SAS ``sig=``, ``token=`` …) in urllib3's debug lines ``"GET /path?query"``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "?" in a for a in record.args):
            record.args = tuple(redact_url(a) if isinstance(a, str) and "?" in a else a for a in record.args)
        return True


_URLLIB3_FILTER = _RedactUrls()


@dataclass(frozen=True)
class DownloadResult:
    """A completed download: where it is, its size [bytes] and SHA-256, and what it came from."""

    path: Path
    size: int
    sha256: str
    url: str
    ranges: tuple[ByteRange, ...] | None
    resumed_from: int


class HttpClient:
    """GET with retries, resumable downloads and byte ranges (one keep-alive session).

    Parameters
    ----------
    policy : RetryPolicy
        Retries, time-outs and backoff.
    session : requests.Session, optional
        Reused for every request (a new one by default).
    sleep : callable, optional
        Waits between attempts (``time.sleep``; tests pass a recorder).
    chunk_size : int
        Bytes read at a time [bytes].
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        chunk_size: int = 1 << 20,
        user_agent: str = "vnaqi-fetch/0.1",
    ):
        self.policy = policy or RetryPolicy()
        # urllib3 logs request lines with their query strings at debug level; same filter object, so idempotent.
        logging.getLogger("urllib3.connectionpool").addFilter(_URLLIB3_FILTER)
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = user_agent
        self._sleep = sleep
        self._chunk = chunk_size

    def close(self) -> None:
        """Close the connections."""
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- small files -------------------------------------------------------------------------------------------
    def get_bytes(self, url: str) -> bytes:
        """Body of a small file (an index), with retries. Raises :class:`RemoteNotFound` on 404/410."""
        return with_retries(url, lambda: self._read_all(url), self.policy, self._sleep)

    def get_text(self, url: str, encoding: str = "utf-8") -> str:
        """Text of a small file (an index), with retries."""
        try:
            return self.get_bytes(url).decode(encoding)
        except UnicodeDecodeError as exc:
            raise FetchError(url, f"not {encoding} text: {exc.reason} at byte {exc.start}") from exc

    def _read_all(self, url: str) -> bytes:
        with self._get(url, {}) as resp:
            if resp.status_code != 200:
                raise FetchError(url, f"unexpected HTTP {resp.status_code}")
            body = bytearray()
            for chunk in self._chunks(resp, url, 0):
                body += chunk
                if len(body) > _MAX_SMALL_BODY:
                    raise FetchError(url, f"larger than {_MAX_SMALL_BODY} bytes; not an index file")
            return bytes(body)

    # -- downloads ---------------------------------------------------------------------------------------------
    def download(
        self,
        url: str,
        dest: Path,
        *,
        ranges: Sequence[ByteRange] | None = None,
        expected_sha256: str | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> DownloadResult:
        """Download ``url`` (or the concatenation of its ``ranges``) to ``dest``, atomically.

        Parameters
        ----------
        url : str
            Remote file.
        dest : pathlib.Path
            Final path; written as ``dest.part`` and renamed when complete and verified.
        ranges : sequence of (int, int or None), optional
            Byte ranges to fetch and concatenate in the order given; ``None`` fetches the whole file.
        expected_sha256 : str, optional
            Checksum the result must have; a mismatch deletes it and raises :class:`ChecksumMismatch`.
        on_bytes : callable, optional
            Called with the number of bytes of every chunk written.

        Returns
        -------
        DownloadResult
        """
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        note_path = dest.with_name(dest.name + ".part.json")
        segments: list[ByteRange | None] = list(ranges) if ranges else [None]
        note = {"url": redact_url(url), "ranges": None if ranges is None else [list(r) for r in segments]}
        old = _read_note(note_path)
        same = old is not None and {k: old.get(k) for k in note} == note
        if part.exists() and not same:
            log.info("%s: discarding %s, it holds another download", redact_url(url), part.name)
            part.unlink()
        elif same:
            note = old  # keeps the ETag for If-Range
        resumed_from = part.stat().st_size if part.exists() else 0
        if resumed_from:
            log.info("%s: resuming %s at byte %d", redact_url(url), dest.name, resumed_from)
        note_path.write_text(json.dumps(note), encoding="utf-8")
        with_retries(url, lambda: self._fill(url, part, segments, note, note_path, on_bytes), self.policy, self._sleep)

        expected_size = known_total(segments)
        size = part.stat().st_size
        if expected_size is not None and size != expected_size:
            raise FetchError(url, f"assembled {size} bytes, expected {expected_size}")
        digest = sha256_file(part)
        if expected_sha256 is not None and digest != expected_sha256:
            part.unlink()
            note_path.unlink(missing_ok=True)
            raise ChecksumMismatch(url, f"SHA-256 {digest} differs from the expected {expected_sha256}")
        os.replace(part, dest)
        note_path.unlink(missing_ok=True)
        return DownloadResult(dest, size, digest, redact_url(url), tuple(ranges) if ranges else None, resumed_from)

    def _fill(self, url: str, part: Path, segments, note: dict, note_path: Path, on_bytes) -> None:
        done = part.stat().st_size if part.exists() else 0
        index, offset = locate(segments, done)
        if index is None:  # more bytes than asked for: not ours, start again
            part.unlink()
            index, offset = 0, 0
        with open(part, "ab") as fh:
            for i in range(index, len(segments)):
                self._segment(url, segments[i], offset if i == index else 0, fh, note, note_path, on_bytes)
            fh.flush()
            os.fsync(fh.fileno())

    def _segment(self, url: str, seg: ByteRange | None, off: int, fh: IO[bytes], note, note_path, on_bytes) -> None:
        start, end = (off, None) if seg is None else (seg[0] + off, seg[1])
        ranged = seg is not None or off > 0
        headers = {"Accept-Encoding": "identity"}
        if ranged:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
            if seg is None and note.get("etag"):
                headers["If-Range"] = note["etag"]
        with self._get(url, headers) as resp:
            status = resp.status_code
            if status == 416:
                total = parse_content_range(resp.headers.get("Content-Range"))[2]
                if seg is None and total == start:
                    return  # the part file already holds the whole file
                if seg is None:
                    fh.truncate(0)
                    raise Transient(f"range {headers['Range']} not satisfiable; starting over")
                raise FetchError(url, f"range {headers['Range']} not satisfiable: the index does not match the file")
            if status == 206:
                first, last, _ = parse_content_range(resp.headers.get("Content-Range"))
                if first != start or (end is not None and last != end) or last is None:
                    raise FetchError(
                        url, f"asked for {headers['Range']}, server sent {resp.headers.get('Content-Range')!r}"
                    )
                self._copy(resp, url, fh, last - first + 1, 0, on_bytes)
                return
            if status != 200:
                raise FetchError(url, f"unexpected HTTP {status}")
            skip = 0
            if seg is None:
                if ranged:
                    log.info("%s: server ignored the Range request; downloading the whole file", redact_url(url))
                    fh.truncate(0)
                note.update(etag=resp.headers.get("ETag"))
                note_path.write_text(json.dumps(note), encoding="utf-8")
                length = resp.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
            else:
                log.info("%s: server ignored the Range request; skipping to byte %d", redact_url(url), start)
                skip = start
                expected = None if end is None else end - start + 1
            self._copy(resp, url, fh, expected, skip, on_bytes)

    def _copy(self, resp, url: str, fh: IO[bytes], expected: int | None, skip: int, on_bytes) -> None:
        written = 0
        for chunk in self._chunks(resp, url, written):
            if skip:
                cut = min(skip, len(chunk))
                chunk, skip = chunk[cut:], skip - cut
            if expected is not None:
                chunk = chunk[: expected - written]
            if chunk:
                fh.write(chunk)
                written += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
            if expected is not None and written >= expected:
                break
        fh.flush()
        if expected is not None and written < expected:
            raise Transient(f"connection closed after {written} of {expected} bytes")

    def _chunks(self, resp: requests.Response, url: str, written: int):
        chunks = resp.iter_content(self._chunk)
        count = written
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                raise Transient(f"connection dropped after {count} bytes ({type(exc).__name__})") from None
            count += len(chunk)
            yield chunk

    # -- one request, and the retry loop -----------------------------------------------------------------------
    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        timeout = self.policy.timeout_s
        try:
            resp = self._session.get(url, headers=headers, stream=True, timeout=timeout)
        except requests.Timeout:
            raise Transient(f"no answer within {timeout:g} s") from None
        except requests.ConnectionError as exc:
            raise Transient(f"connection failed ({type(exc).__name__})") from None
        except requests.RequestException as exc:
            raise FetchError(url, f"request failed ({type(exc).__name__})") from None
        status = resp.status_code
        if status in (404, 410):
            resp.close()
            raise RemoteNotFound(url, status)
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            resp.close()
            raise Transient(f"HTTP {status}", retry_after)
        if status >= 400 and status != 416:
            resp.close()
            raise FetchError(url, f"HTTP {status} {resp.reason}")
        return resp


def _read_note(path: Path) -> dict | None:
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None
