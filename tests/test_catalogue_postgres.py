"""The run catalogue on PostgreSQL: the core tests of ``test_catalogue.py``, unchanged, on a throwaway server.

The server is started from the PostgreSQL binaries on this machine (``initdb``, ``pg_ctl``; Debian puts them in
``/usr/lib/postgresql/<N>/bin``) in a temporary folder, listening only on a Unix socket there, so no network
and no installed service are needed. PostgreSQL refuses to run as root: as root the binaries run as the
``postgres`` system user (created if missing). The module is skipped, with the reason, when they are absent.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from test_catalogue import CYCLE, TestCatalogueCore  # noqa: F401  (collected here again, on PostgreSQL)

from forecast.catalogue import RunCatalogue

psycopg = pytest.importorskip("psycopg", reason="psycopg (PostgreSQL driver) not installed: pip install -e '.[test]'")

PG_USER = "postgres"
_databases = itertools.count(1)


def _install_postgresql() -> None:
    """Install Debian's PostgreSQL server when it is missing and we may (root with apt-get), once."""
    if os.geteuid() != 0 or not shutil.which("apt-get") or glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        if subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False).returncode != 0:
            return


def _pg_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres (symlinks on PATH are followed); Debian's
    ``postgresql`` package is installed first if it is missing and apt-get may be used."""
    _install_postgresql()
    candidates = []
    if found := shutil.which("initdb"):
        candidates.append(Path(found).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if all((folder / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", PG_USER, "--", *cmd]
    return ["su", PG_USER, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def _server_user() -> tuple[int, int] | None:
    """uid and gid the server runs as; as root, the ``postgres`` user (created if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(PG_USER)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            pytest.skip(f"PostgreSQL refuses root and the {PG_USER!r} user could not be created: {made.stderr}")
        entry = pwd.getpwnam(PG_USER)
    return entry.pw_uid, entry.pw_gid


def _run(cmd: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        server_log = log.read_text() if log is not None and log.exists() else ""
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{server_log}")


@pytest.fixture(scope="session")
def postgres_server():
    """(socket folder, port) of a PostgreSQL server living for the test session."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or /usr/lib/postgresql")
    owner = _server_user()
    # In /tmp when root: the server user must reach the folder, and a Unix socket path must stay short.
    base = Path(tempfile.mkdtemp(prefix="vnaqi-pg-", dir="/tmp" if owner is not None else None))
    if owner is not None:
        os.chown(base, *owner)
    data, log, port = base / "data", base / "server.log", 5432  # socket-only: the port just names the socket
    fast = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"  # a throwaway server: no durability
    options = f"-k {base} -p {port} -c listen_addresses='' {fast}"
    try:
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "-A", "trust", "-E", "UTF8"]
        _run([*initdb, "--no-locale", "--no-sync"], "initdb")
        start = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"]
        _run(start, "pg_ctl start", log)
        yield base, port
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def catalogue_url(postgres_server) -> str:
    """A fresh, empty database on the session's server for each test."""
    socket_dir, port = postgres_server
    name = f"vnaqi_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(host=str(socket_dir), port=port, user=PG_USER, dbname="postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{PG_USER}@/{name}?host={socket_dir}&port={port}"


def test_a_plain_postgresql_url_uses_the_installed_driver(catalogue_url, monkeypatch):
    plain = catalogue_url.replace("postgresql+psycopg://", "postgresql://")
    with RunCatalogue(plain) as cat:
        assert cat.start_run(CYCLE).run_id == "2026-11-22T00Z/forecast-v1"
    with RunCatalogue(catalogue_url) as cat:  # same database through the explicit driver
        assert [r.version for r in cat.runs()] == [1]


def test_times_are_stored_as_timestamptz(catalogue_url):
    with RunCatalogue(catalogue_url) as cat:
        cat.start_run(CYCLE)
    socket_dir = catalogue_url.split("host=")[1].split("&")[0]
    port = int(catalogue_url.split("port=")[1])
    dbname = catalogue_url.split("@/")[1].split("?")[0]
    with psycopg.connect(host=socket_dir, port=port, user=PG_USER, dbname=dbname) as db:
        kind = db.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'runs' AND column_name = 'started_at'"
        ).fetchone()
        version = db.execute("SELECT version FROM schema_version").fetchone()
    assert kind == ("timestamp with time zone",) and version == (1,)
