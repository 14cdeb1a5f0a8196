"""Test support for the fetchers: a loopback HTTP server with scripted misbehaviour, and provider layouts.

No test reaches the network: every file is generated here (GRIB2 messages written with eccodes) and
served from 127.0.0.1 in the layout of the real provider (ECMWF open data ``.index`` JSON lines, GFS
``.idx`` inventories).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import eccodes
import numpy as np
import pandas as pd

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass
class Route:
    """What the server answers for one path.

    ``statuses`` are answered (once each, in order) before the body is served; ``drop_after`` cuts
    the first ``drops`` body responses after that many bytes; ``ignore_range`` answers 200 to ranges.
    """

    body: bytes
    statuses: list[int] = field(default_factory=list)
    retry_after: str | None = None
    drop_after: int | None = None
    drops: int = 1
    ignore_range: bool = False
    etag: str | None = '"v1"'


@dataclass
class Seen:
    """One request as the server saw it."""

    path: str
    range: str | None
    if_range: str | None
    authorization: str | None


class FileServer:
    """A threaded HTTP/1.1 file server on 127.0.0.1 serving :class:`Route` objects by path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5  # bound every connection

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes, **kw) -> Route:
        route = Route(body, **kw)
        self.routes[path] = route
        return route

    def requests_for(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def start(self) -> FileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- the handler -------------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            self.seen.append(
                Seen(path, h.headers.get("Range"), h.headers.get("If-Range"), h.headers.get("Authorization"))
            )
            route = self.routes.get(path)
            status = route.statuses.pop(0) if route is not None and route.statuses else None
        if route is None or status is not None:
            code = 404 if route is None else status
            h.send_response(code)
            if route is not None and route.retry_after is not None:
                h.send_header("Retry-After", route.retry_after)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        body, total = route.body, len(route.body)
        wanted = h.headers.get("Range")
        match = _RANGE.match(wanted or "")
        if_range = h.headers.get("If-Range")
        if match and not route.ignore_range and (if_range is None or if_range == route.etag):
            start = int(match.group(1))
            end = min(int(match.group(2)), total - 1) if match.group(2) else total - 1
            if start >= total:
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{total}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            payload, code = body[start : end + 1], 206
        else:
            payload, code = body, 200
        h.send_response(code)
        if code == 206:
            h.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        if route.etag:
            h.send_header("ETag", route.etag)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        with self._lock:
            drop = route.drop_after is not None and route.drops > 0
            if drop:
                route.drops -= 1
        if drop:
            h.wfile.write(payload[: route.drop_after])
            h.wfile.flush()
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        h.wfile.write(payload)


# -- GRIB payloads -----------------------------------------------------------------------------------------------
_LEVEL_TYPES = {"sfc": None, "pl": "isobaricInhPa"}


def grib_message(short_name: str, levtype: str = "sfc", level: int | None = None, n: int = 12) -> bytes:
    """One small GRIB2 message (eccodes GRIB2 sample) of ``short_name``, on a pressure level if ``levtype='pl'``."""
    handle = eccodes.codes_grib_new_from_samples("GRIB2")
    try:
        eccodes.codes_set(handle, "Ni", n)
        eccodes.codes_set(handle, "Nj", 1)
        if levtype == "pl":
            eccodes.codes_set(handle, "typeOfLevel", "isobaricInhPa")
            eccodes.codes_set(handle, "level", int(level))
        eccodes.codes_set(handle, "shortName", short_name)
        eccodes.codes_set_values(handle, np.linspace(250.0, 300.0, n))
        return eccodes.codes_get_message(handle)
    finally:
        eccodes.codes_release(handle)


def grib_contents(path) -> list[tuple[str, int]]:
    """(shortName, level) of every message of a GRIB file, in file order."""
    out = []
    with open(path, "rb") as fh:
        while (handle := eccodes.codes_grib_new_from_file(fh)) is not None:
            try:
                out.append((eccodes.codes_get(handle, "shortName"), eccodes.codes_get(handle, "level")))
            finally:
                eccodes.codes_release(handle)
    return out


# ECMWF open data: (param, levtype, levelist) of each message of a step file.
ECMWF_MESSAGES = [
    ("2t", "sfc", None),
    ("10u", "sfc", None),
    ("10v", "sfc", None),
    ("msl", "sfc", None),
    ("t", "pl", 1000),
    ("t", "pl", 925),
    ("t", "pl", 850),
    ("u", "pl", 850),
    ("gh", "pl", 850),
]


def ecmwf_step(cycle: pd.Timestamp, step: int, messages=ECMWF_MESSAGES) -> tuple[bytes, str]:
    """A step file and its ``.index`` (JSON lines with ``_offset``/``_length``), as published by ECMWF."""
    body, lines = b"", []
    for param, levtype, level in messages:
        msg = grib_message(param, levtype, level)
        entry = {
            "domain": "g",
            "date": cycle.strftime("%Y%m%d"),
            "time": cycle.strftime("%H00"),
            "expver": "0001",
            "class": "od",
            "type": "fc",
            "stream": "oper",
            "step": str(step),
            "levtype": levtype,
            "param": param,
        }
        if level is not None:
            entry["levelist"] = str(level)
        entry.update(_offset=len(body), _length=len(msg))
        lines.append(json.dumps(entry))
        body += msg
    return body, "\n".join(lines) + "\n"


def ecmwf_paths(cycle: pd.Timestamp, step: int) -> tuple[str, str]:
    """Server paths of a step file and its index under the documented layout (root = server base)."""
    ymd, hh = cycle.strftime("%Y%m%d"), cycle.strftime("%H")
    stem = f"/{ymd}/{hh}z/ifs/0p25/oper/{ymd}{hh}0000-{step}h-oper-fc"
    return stem + ".grib2", stem + ".index"


# GFS: (VAR, LEVEL, shortName, levtype, level) of each message.
GFS_MESSAGES = [
    ("PRMSL", "mean sea level", "msl", "sfc", None),
    ("TMP", "2 m above ground", "2t", "sfc", None),
    ("UGRD", "10 m above ground", "10u", "sfc", None),
    ("VGRD", "10 m above ground", "10v", "sfc", None),
    ("TMP", "850 mb", "t", "pl", 850),
    ("HGT", "850 mb", "gh", "pl", 850),
    ("TMP", "1000 mb", "t", "pl", 1000),
    ("RH", "850 mb", "r", "pl", 850),
]


def gfs_step(cycle: pd.Timestamp, step: int, messages=GFS_MESSAGES) -> tuple[bytes, str]:
    """A GFS step file and its wgrib2-style ``.idx`` inventory."""
    body, lines = b"", []
    when = "anl" if step == 0 else f"{step} hour fcst"
    for number, (var, level_text, short, levtype, level) in enumerate(messages, start=1):
        lines.append(f"{number}:{len(body)}:d={cycle:%Y%m%d%H}:{var}:{level_text}:{when}:")
        body += grib_message(short, levtype, level)
    return body, "\n".join(lines) + "\n"


def gfs_paths(cycle: pd.Timestamp, step: int) -> tuple[str, str]:
    """Server paths of a GFS step file and its inventory under the AWS layout (root = server base)."""
    ymd, hh = cycle.strftime("%Y%m%d"), cycle.strftime("%H")
    path = f"/gfs.{ymd}/{hh}/atmos/gfs.t{hh}z.pgrb2.0p25.f{step:03d}"
    return path, path + ".idx"


def publish(server: FileServer, layout: str, cycle: pd.Timestamp, steps: list[int]) -> None:
    """Serve the step files and indexes of ``steps`` in the ``"ecmwf"`` or ``"gfs"`` layout."""
    make, paths = (ecmwf_step, ecmwf_paths) if layout == "ecmwf" else (gfs_step, gfs_paths)
    for step in steps:
        body, index = make(cycle, step)
        data_path, index_path = paths(cycle, step)
        server.add(data_path, body)
        server.add(index_path, index.encode())
