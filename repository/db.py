"""Engines, sessions and the unit of work.

SQLite (a file under ``instance/``) is the embedded default; PostgreSQL is chosen
with a ``postgresql://`` URL and always uses the psycopg 3 driver.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

#: Environment variable naming the database (DESIGN.md §7).
DATABASE_URL_ENV = "OCMS_DATABASE_URL"

SQLITE_BUSY_TIMEOUT_MS = 5000

#: What a database error means for the caller (:func:`classify_error`).
CONFLICT = "conflict"        # a concurrent transaction won (serialization failure, deadlock): run it again
TIMEOUT = "timeout"          # a lock wait or a statement ran out of time (lock_timeout, statement_timeout, busy)
UNAVAILABLE = "unavailable"  # the database cannot be reached (connection refused/lost, pool exhausted)

#: PostgreSQL SQLSTATEs by kind (appendix A of the PostgreSQL manual).
_PG_CONFLICT = frozenset({"40001", "40P01"})          # serialization_failure, deadlock_detected
_PG_TIMEOUT = frozenset({"55P03", "57014"})           # lock_not_available, query_canceled
_PG_UNAVAILABLE_CLASSES = ("08", "57P")               # connection exceptions, operator intervention (shutdown)
#: SQLite result codes: SQLITE_BUSY_SNAPSHOT means another writer committed since this transaction read.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_BUSY_SNAPSHOT = 5, 6, 517


def default_sqlite_url(instance_dir: str | os.PathLike[str]) -> str:
    """Return the embedded default URL: ``sqlite:///<instance_dir>/ocms.db``."""
    return f"sqlite:///{Path(instance_dir) / 'ocms.db'}"


def database_url(default: str | None = None) -> str | None:
    """Return ``$OCMS_DATABASE_URL`` if set, else ``default``."""
    return os.environ.get(DATABASE_URL_ENV) or default


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``, rewriting ``postgresql://``/``postgres://`` to the psycopg 3 driver."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    """Return the file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def classify_error(e: BaseException) -> str | None:
    """:data:`CONFLICT`, :data:`TIMEOUT`, :data:`UNAVAILABLE` or None (a fault: a bug or a broken schema).

    Takes SQLAlchemy's wrappers (``DBAPIError``, the pool's ``TimeoutError``) or
    the driver's own exceptions.
    """
    from sqlalchemy import exc as sa_exc

    if isinstance(e, sa_exc.TimeoutError):  # no connection free in the pool in time
        return UNAVAILABLE
    orig = getattr(e, "orig", None) or e
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        if sqlstate in _PG_CONFLICT:
            return CONFLICT
        if sqlstate in _PG_TIMEOUT:
            return TIMEOUT
        if sqlstate.startswith(_PG_UNAVAILABLE_CLASSES):
            return UNAVAILABLE
        return None
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        if code == _SQLITE_BUSY_SNAPSHOT:
            return CONFLICT
        if code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return TIMEOUT
        return None
    if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
        return UNAVAILABLE
    module = type(orig).__module__
    if module.startswith("psycopg") and type(orig).__name__ == "OperationalError":
        return UNAVAILABLE  # no SQLSTATE: the connection failed before the server answered
    return None


def _on_sqlite_connect(wal: bool, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def make_engine(url: str | URL, *, statement_timeout: float | None = None, lock_timeout: float | None = None,
                connect_timeout: float | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url``.

    SQLite: creates the file's parent directory and turns on foreign keys, WAL
    and a busy timeout on every connection (``lock_timeout`` seconds, default
    5). PostgreSQL: psycopg 3 with pre-ping; ``statement_timeout`` and
    ``lock_timeout`` (seconds; None or 0 = no limit) are set on every
    connection, with ``idle_in_transaction_session_timeout`` at the statement
    timeout's double so a stuck transaction cannot hold its locks forever;
    ``connect_timeout`` bounds a connection attempt. ``kwargs`` go to
    :func:`sqlalchemy.create_engine`.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        busy = SQLITE_BUSY_TIMEOUT_MS if not lock_timeout else int(lock_timeout * 1000)
        event.listen(engine, "connect", _on_sqlite_connect(wal=path is not None, busy_timeout_ms=busy))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    options = []
    if statement_timeout:
        options.append(f"-c statement_timeout={int(statement_timeout * 1000)}")
        options.append(f"-c idle_in_transaction_session_timeout={int(statement_timeout * 2000)}")
    if lock_timeout:
        options.append(f"-c lock_timeout={int(lock_timeout * 1000)}")
    if options or connect_timeout:
        connect_args = dict(kwargs.pop("connect_args", None) or {})
        if options:
            connect_args["options"] = " ".join([connect_args.get("options", ""), *options]).strip()
        if connect_timeout:
            connect_args.setdefault("connect_timeout", max(1, int(connect_timeout)))
        kwargs["connect_args"] = connect_args
    return create_engine(parsed, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


class UnitOfWork:
    """One business transaction: ``with UnitOfWork(factory) as uow: ...; uow.commit()``.

    Leaving the block without :meth:`commit` (or by an exception) rolls back.
    """

    session: Session

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        """Commit everything done in this unit of work so far."""
        self.session.commit()

    def rollback(self) -> None:
        """Discard everything not yet committed."""
        self.session.rollback()
