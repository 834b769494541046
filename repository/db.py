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


def _on_sqlite_connect(wal: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for ``url``.

    SQLite: creates the file's parent directory and turns on foreign keys, WAL
    and a busy timeout on every connection. PostgreSQL: psycopg 3 with
    pre-ping. ``kwargs`` go to :func:`sqlalchemy.create_engine`.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect(wal=path is not None))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
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
