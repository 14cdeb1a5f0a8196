"""Exceptions of the input fetchers, and URL redaction for anything that is logged or stored.

Every message names the URL (with secrets removed) and the reason, so that an operator reading a
cron log knows what was asked for and what went wrong.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

_SECRET_QUERY_KEYS = re.compile(r"(sig|signature|token|key|apikey|api_key|password|secret|credential|x-amz-.*)$", re.I)


def redact_url(url: str) -> str:
    """``url`` without user:password and without the values of secret-looking query parameters.

    Mirrors may carry credentials in the URL (``https://user:pw@host/…``, Azure SAS ``?sig=…``,
    S3 presigned ``X-Amz-Signature=…``); none of them may reach a log, an exception or a manifest.

    Parameters
    ----------
    url : str
        Any URL.

    Returns
    -------
    str
        The same URL, safe to log.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    query = parts.query
    if query:
        pairs = [(k, "***" if _SECRET_QUERY_KEYS.match(k) else v) for k, v in parse_qsl(query, keep_blank_values=True)]
        query = urlencode(pairs, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _utc(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%d %H:%MZ")


class FetchError(RuntimeError):
    """A download failed: names the URL (redacted) and the reason.

    Parameters
    ----------
    url : str
        What was asked for; redacted before it is stored.
    reason : str
        Why it failed, in words an operator can act on.
    """

    def __init__(self, url: str, reason: str):
        self.url = redact_url(url)
        self.reason = reason
        super().__init__(f"{self.url}: {reason}")


class RemoteNotFound(FetchError):
    """The server answered 404/410: the file is not (yet) published there."""

    def __init__(self, url: str, status: int):
        self.status = status
        super().__init__(url, f"not found (HTTP {status})")


class ChecksumMismatch(FetchError):
    """A file's SHA-256 differs from the one expected."""


class SourceNotYetAvailable(RuntimeError):
    """A source has not published a cycle yet, and its usual publication time has not passed.

    This is the normal state of a cron job run early: try again later (exit code 3 of the CLI).

    Parameters
    ----------
    source : str
        Source name from ``sources.yaml``.
    cycle : pandas.Timestamp
        Initialisation time of the cycle [UTC].
    expected_at : pandas.Timestamp
        When the source is usually complete: cycle + ``available_after_h`` [UTC].
    waiting_since : pandas.Timestamp
        When a fetch first found it missing [UTC].
    now : pandas.Timestamp
        Time of this attempt [UTC].
    what : str
        What is missing (a redacted URL, or a description).
    """

    def __init__(
        self,
        source: str,
        cycle: pd.Timestamp,
        expected_at: pd.Timestamp,
        waiting_since: pd.Timestamp,
        now: pd.Timestamp,
        what: str,
    ):
        self.source = source
        self.cycle = cycle
        self.expected_at = expected_at
        self.waiting_since = waiting_since
        self.now = now
        self.what = what
        wait_h = (pd.Timestamp(expected_at) - pd.Timestamp(now)).total_seconds() / 3600
        super().__init__(
            f"source {source!r} is late for cycle {_utc(cycle)}: not published yet: {what}; "
            f"missing since {_utc(waiting_since)}, expected by {_utc(expected_at)} "
            f"(in {max(wait_h, 0):.1f} h); try again later"
        )


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, feature: str, extra: str, packages: str):
        self.extra = extra
        super().__init__(f"{feature} needs the optional {packages}: install it with `pip install -e .[{extra}]`")


class SourceSetupError(ValueError):
    """A source's configuration cannot be used by its fetcher (names the source and the field)."""
