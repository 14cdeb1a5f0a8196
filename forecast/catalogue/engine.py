"""Opening the catalogue database (URL choice, password masking, SQLite locking, schema) and its transactions.

The default is a SQLite file in the home; any SQLAlchemy URL works unchanged (PostgreSQL is tested). On
SQLite every write transaction starts with ``BEGIN IMMEDIATE`` and waits up to :data:`BUSY_TIMEOUT_S` for the
lock, so concurrent writers queue instead of failing; readers never block thanks to WAL.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Self, TypeVar

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, ProgrammingError
from sqlalchemy.orm import Session

from configs.settings import HomeLayout, resolve_home
from forecast.catalogue import checks
from forecast.catalogue.records import CatalogueError
from forecast.catalogue.schema import SCHEMA_VERSION, Base, SchemaVersion

log = logging.getLogger(__name__)
T = TypeVar("T")

URL_ENV = "VNAQI_CATALOGUE_URL"
BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10
RETRIES = 20  # attempts after a unique-constraint conflict with a concurrent writer
_RETRY_SQLSTATES = {"40001", "40P01"}  # PostgreSQL serialization failure, deadlock
WRITE_OPTION = "vnaqi_catalogue_write"  # execution option marking write transactions
_PASSWORD_RE = re.compile(r"(://[^:/@]*:)[^@]*@")


def resolve_url(url: str | None, home_root: Path | None) -> str:
    """``url``, else ``$VNAQI_CATALOGUE_URL``, else the SQLite file ``<home>/catalogue.sqlite`` (folder created)."""
    if url:
        return url
    env = os.environ.get(URL_ENV)
    if env:
        return env
    path = HomeLayout(resolve_home(home_root)).catalogue
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (also for URLs SQLAlchemy cannot parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return _PASSWORD_RE.sub(r"\1***@", url)


def reason(exc: BaseException, url: str) -> str:
    """First line of the driver's message, password scrubbed."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    return text.replace(str(password), "***") if password else text


def _default_driver(url: str) -> str:
    """``postgresql://`` means psycopg2 to SQLAlchemy; use psycopg 3 when only that one is installed."""
    head, sep, rest = url.partition("://")
    if sep and head in ("postgresql", "postgres"):
        if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg") is not None:
            return f"postgresql+psycopg://{rest}"
        return f"postgresql://{rest}"
    return url


def open_engine(url: str) -> Engine:
    """An engine for ``url`` with the schema created (or checked); :class:`CatalogueError` if unusable."""
    shown = mask_url(url)
    try:
        parsed = make_url(_default_driver(url))
        kwargs: dict = {}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S}
        elif parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:  # NoSuchModuleError before its base, ArgumentError
        raise CatalogueError(f"run catalogue URL {shown!r}: database driver not available ({exc})") from None
    except ArgumentError as exc:
        raise CatalogueError(
            f"invalid run catalogue URL {shown!r}: {reason(exc, url)} "
            "(expected e.g. sqlite:////path/catalogue.sqlite or postgresql+psycopg://user:password@host/db)"
        ) from None
    if engine.dialect.name == "sqlite":
        _sqlite_locking(engine)
    _create_schema(engine, url)
    log.debug("run catalogue at %s", shown)
    return engine


def _sqlite_locking(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions marked as writes (``BEGIN IMMEDIATE`` on SQLite)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _create_schema(engine: Engine, url: str) -> None:
    shown = mask_url(url)
    for attempt in range(3):
        try:
            with writer(engine).begin() as conn:
                Base.metadata.create_all(conn)
                found = conn.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar()
                if found is None:
                    conn.execute(
                        SchemaVersion.__table__.insert().values(
                            id=1, version=SCHEMA_VERSION, applied_at=datetime.now(UTC)
                        )
                    )
            break
        except (IntegrityError, ProgrammingError) as exc:  # another process created the tables at the same moment
            if attempt == 2:
                engine.dispose()
                raise CatalogueError(f"cannot create the run catalogue tables in {shown}: {reason(exc, url)}") from None
        except DBAPIError as exc:
            engine.dispose()
            raise CatalogueError(f"cannot open the run catalogue {shown}: {reason(exc, url)}") from None
    if found is not None and found != SCHEMA_VERSION:
        engine.dispose()
        raise CatalogueError(
            f"the run catalogue {shown} has schema version {found}; this vnaqi reads version {SCHEMA_VERSION}"
            + (" (upgrade vnaqi)" if found > SCHEMA_VERSION else " (it needs a migration)")
        )


class Database:
    """An open catalogue database and its transactions; the base of :class:`~forecast.catalogue.RunCatalogue`.

    ``_read``/``_write`` run one function in one transaction and turn driver errors into
    :class:`CatalogueError` naming the (masked) URL; ``_write(..., retries=n)`` retries after a unique
    constraint conflict (or a PostgreSQL deadlock / serialization failure) with a concurrent writer.
    """

    def __init__(
        self,
        url: str | None = None,
        home_root: Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._url = resolve_url(url, home_root)
        self.url = mask_url(self._url)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._engine = open_engine(self._url)
        self._writer = writer(self._engine)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def close(self) -> None:
        """Release the connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now(self) -> datetime:
        return checks.utc(self._clock(), "the catalogue clock")

    def _error(self, exc: BaseException) -> CatalogueError:
        return CatalogueError(f"run catalogue {self.url}: {reason(exc, self._url)}")

    def _read(self, work: Callable[[Session], T]) -> T:
        try:
            with Session(self._engine) as session, session.begin():
                return work(session)
        except DBAPIError as exc:
            raise self._error(exc) from exc

    def _write(self, work: Callable[[Session], T], *, retries: int = 0) -> T:
        for attempt in range(retries + 1):
            try:
                with Session(self._writer, expire_on_commit=False) as session, session.begin():
                    return work(session)
            except DBAPIError as exc:
                conflict = isinstance(exc, IntegrityError) or getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES
                if not conflict or attempt == retries:
                    raise self._error(exc) from exc
                log.debug("catalogue write conflict (attempt %d), retrying: %s", attempt + 1, reason(exc, self._url))
                time.sleep(random.uniform(0.0, 0.02 * (attempt + 1)))
        raise AssertionError("unreachable")
