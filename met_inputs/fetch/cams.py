"""CAMS global atmospheric composition forecasts through the Atmosphere Data Store API (kind ``cams-ads``).

One request per cycle, for all configured variables and lead times over ``area``, written as one
file ``<source>_<YYYYMMDDHH>.grib``. The request follows the ADS form of the dataset
``cams-global-atmospheric-composition-forecasts``::

    {"variable": ["particulate_matter_2.5um", ...], "date": ["2026-11-22/2026-11-22"],
     "time": ["00:00"], "leadtime_hour": ["0", "3", ...], "type": ["forecast"],
     "data_format": "grib", "area": [N, W, S, E], "model_level": ["137"]}

``model_level: 137`` (the lowest model level) gives near-surface values of the multi-level species
(``nitrogen_dioxide``, ``ozone``, ...); single-level ones (``particulate_matter_2.5um``) ignore it.

Credentials, in this order: ``ADS_URL``/``ADS_KEY``; ``CDSAPI_URL``/``CDSAPI_KEY``; the file
``$CDSAPI_RC`` or ``~/.cdsapirc`` (lines ``url: …`` and ``key: …``). A missing URL defaults to the
source's ``base_url``. The key is passed to the client and nowhere else: it is not logged, stored in
the manifest or shown in errors.

The client is ``cdsapi`` (or ``ecmwf-datastores-client``), the optional extra ``[cams]``; without it
the fetch fails with an error saying ``pip install -e .[cams]``. Tests inject a fake client through
``FetchContext.client_factories["cams-ads"]``.

Options: ``dataset`` (default above), ``type`` (``forecast``), ``format`` (``grib``; or ``netcdf_zip``),
``model_level``, ``pressure_level``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from configs.sources import SourceConfig
from met_inputs.fetch.base import FetchContext, require
from met_inputs.fetch.errors import FetchError, MissingExtraError, redact_url
from met_inputs.fetch.manifest import FileRecord, sha256_file, utc_now_text

__all__ = ["AdsCredentials", "build_request", "default_client", "fetch", "resolve_credentials", "validate"]

log = logging.getLogger(__name__)

KIND = "cams-ads"
DEFAULT_DATASET = "cams-global-atmospheric-composition-forecasts"
_SUFFIX = {"grib": "grib", "netcdf": "nc", "netcdf_zip": "zip"}


@dataclass(frozen=True)
class AdsCredentials:
    """ADS endpoint and key; the key never shows in ``repr``."""

    url: str
    key: str = field(repr=False)
    origin: str = ""


def validate(source: SourceConfig) -> None:
    """Check variables, steps and the output format."""
    require(source, bool(source.params), "params", "list ADS variable names, e.g. [particulate_matter_2.5um]")
    require(source, bool(source.steps_h), "steps_h", "list the lead times to request [h]")
    fmt = source.options.get("format", "grib")
    require(source, fmt in _SUFFIX, "options.format", f"{fmt!r} is not one of {', '.join(_SUFFIX)}")


def build_request(source: SourceConfig, cycle: pd.Timestamp) -> dict[str, Any]:
    """The ADS request for one cycle (see the module docstring for its shape).

    Parameters
    ----------
    source : SourceConfig
        ``params`` are ADS variable names, ``steps_h`` lead times [h], ``area`` N, W, S, E [degrees].
    cycle : pandas.Timestamp
        Initialisation time [UTC]; CAMS runs at 00 and 12 UTC.
    """
    opts = source.options
    day = cycle.strftime("%Y-%m-%d")
    north, west, south, east = source.area
    request: dict[str, Any] = {
        "variable": list(source.params),
        "date": [f"{day}/{day}"],
        "time": [cycle.strftime("%H:%M")],
        "leadtime_hour": [str(h) for h in source.steps_h],
        "type": [str(opts.get("type", "forecast"))],
        "data_format": str(opts.get("format", "grib")),
        "area": [north, west, south, east],
    }
    for key in ("model_level", "pressure_level"):
        value = opts.get(key)
        if key == "pressure_level" and value is None and source.levels_hpa:
            value = source.levels_hpa
        if value is not None:
            request[key] = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
    return request


def _rc_file(env: Mapping[str, str]) -> Path:
    if env.get("CDSAPI_RC"):
        return Path(env["CDSAPI_RC"]).expanduser()
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".cdsapirc"


def resolve_credentials(env: Mapping[str, str], default_url: str | None) -> AdsCredentials:
    """ADS URL and key from the environment or ``~/.cdsapirc`` (see the module docstring for the order).

    Raises
    ------
    FetchError
        When no key is found; the message says where one is looked for.
    """
    for url_var, key_var in (("ADS_URL", "ADS_KEY"), ("CDSAPI_URL", "CDSAPI_KEY")):
        if env.get(key_var):
            return AdsCredentials(env.get(url_var) or default_url or "", env[key_var], f"${key_var}")
    rc = _rc_file(env)
    if rc.is_file():
        values: dict[str, str] = {}
        for line in rc.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() in {"url", "key"}:
                values[name.strip()] = value.strip()
        if values.get("key"):
            return AdsCredentials(values.get("url") or default_url or "", values["key"], str(rc))
    raise FetchError(
        default_url or "ADS API",
        f"no ADS credentials: set ADS_URL and ADS_KEY (or CDSAPI_URL/CDSAPI_KEY), or write {rc} "
        "with 'url:' and 'key:' lines; the key is on your ADS profile page",
    )


class _ClientLog:
    """Log sink for the ADS client's messages: forwarded to our logger with the key blanked out.

    ``cdsapi`` logs its configuration, key included, at debug level; its callbacks route that here.
    """

    def __init__(self, secret: str):
        self._secret = secret

    def log(self, level: int, *args: Any, **kwargs: Any) -> None:
        try:
            text = str(args[0]) % args[1:] if len(args) > 1 else str(args[0]) if args else ""
        except (TypeError, ValueError):
            text = " ".join(str(a) for a in args)
        log.log(level, "ADS client: %s", _scrub(text, self._secret))

    def info(self, *args: Any, **kwargs: Any) -> None:
        self.log(logging.INFO, *args)

    def warning(self, *args: Any, **kwargs: Any) -> None:
        self.log(logging.WARNING, *args)

    def error(self, *args: Any, **kwargs: Any) -> None:
        self.log(logging.ERROR, *args)

    def debug(self, *args: Any, **kwargs: Any) -> None:
        self.log(logging.DEBUG, *args)


def default_client(url: str, key: str, source: SourceConfig) -> Any:
    """An ADS client from the optional extra: ``cdsapi``, else ``ecmwf-datastores-client``.

    The client's own log messages go through :class:`_ClientLog`, which blanks the key out.

    Raises
    ------
    MissingExtraError
        When neither is installed; the message names ``pip install -e .[cams]``.
    """
    sink = _ClientLog(key)
    try:
        import cdsapi
    except ImportError:
        try:
            from ecmwf.datastores import Client
        except ImportError:
            raise MissingExtraError(
                "Fetching CAMS from the Atmosphere Data Store", "cams", "ADS client (cdsapi or ecmwf-datastores-client)"
            ) from None
        return Client(
            url=url,
            key=key,
            timeout=source.timeout_s,
            progress=False,
            maximum_tries=source.retries + 1,
            log_callback=sink.log,
        )
    return cdsapi.Client(
        url=url,
        key=key,
        quiet=True,
        progress=False,
        timeout=int(source.timeout_s),
        retry_max=source.retries + 1,
        info_callback=sink.info,
        warning_callback=sink.warning,
        error_callback=sink.error,
        debug_callback=sink.debug,
    )


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def fetch(ctx: FetchContext) -> None:
    """Request the cycle from the ADS (once its usual publication time has passed) into ``ctx.folder``."""
    source, cycle = ctx.source, ctx.cycle
    opts = source.options
    dataset = str(opts.get("dataset", DEFAULT_DATASET))
    name = f"{source.name}_{ctx.stamp}.{_SUFFIX[str(opts.get('format', 'grib'))]}"
    ctx.report_progress(0, 1)
    record = ctx.manifest.verified(name)
    if record is not None:
        ctx.kept(record)
        ctx.manifest.complete([name])
        return
    if ctx.now < ctx.expected_at:
        # The ADS queues a request for data not yet produced and then fails it; don't ask before it can work.
        ctx.not_available(f"ADS dataset {dataset} for cycle {cycle:%Y-%m-%d %H}Z")
    creds = resolve_credentials(ctx.env, source.base_url)
    factory = ctx.client_factories.get(KIND, default_client)
    request = build_request(source, cycle)
    where = f"{redact_url(creds.url).rstrip('/')}#{dataset}"
    log.info("%s: requesting %s (credentials from %s): %s", source.name, where, creds.origin, json.dumps(request))
    ctx.folder.mkdir(parents=True, exist_ok=True)
    dest = ctx.folder / name
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    client = factory(url=creds.url, key=creds.key, source=source)
    try:
        client.retrieve(dataset, request, str(part))
    except Exception as exc:  # any client failure becomes one clear error without the key
        part.unlink(missing_ok=True)
        raise FetchError(where, f"ADS request failed: {type(exc).__name__}: {_scrub(str(exc), creds.key)}") from None
    if not part.is_file() or part.stat().st_size == 0:
        raise FetchError(where, "the ADS client finished without writing the file")
    size, digest = part.stat().st_size, sha256_file(part)
    os.replace(part, dest)
    ctx.fetched(
        FileRecord(
            file=name,
            size=size,
            sha256=digest,
            url=where,
            fetched_at=utc_now_text(),
            messages=list(source.params),
            request=request,
        )
    )
    log.info("%s: %s, %d bytes", source.name, name, size)
    ctx.report_progress(1, 1)
    ctx.manifest.complete([name])
