"""The app's database handle: one engine and session factory per process, and the one retry rule.

Bounded waits (README "Limits and timeouts"): the app's engine sets
PostgreSQL's ``statement_timeout`` (``OCMS_STATEMENT_TIMEOUT``, 10 s) and
``lock_timeout`` (``OCMS_LOCK_TIMEOUT``, 3 s) on every connection, SQLite's
busy timeout to the lock timeout, and waits at most that long for a pooled
connection; a request meeting one of them answers 503 OCMS-5003
(:mod:`api.web.errors`), well inside gunicorn's worker timeout. Batch jobs
(``ocms jobs run``) use their own engine without these limits.

One retry rule (:func:`run_in_transaction`): every writing use case runs its
transaction through it; a serialization failure or deadlock (SQLSTATE
40001/40P01, SQLite's BUSY_SNAPSHOT) runs the whole transaction again, with a
short random pause, at most :data:`DEFAULT_ATTEMPTS` times. Rows are locked
in key order everywhere (``ORDER BY`` the key with ``FOR UPDATE``), so
deadlocks should not happen at all; the retry is the safety net.
"""
from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

from flask import Flask, current_app
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from repository import reference_cache
from repository.db import CONFLICT, UnitOfWork, classify_error, make_engine, make_session_factory

EXTENSION = "ocms.database"
#: Tries of one transaction before a conflict is answered 503 (the caller may retry later).
DEFAULT_ATTEMPTS = 5

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Database:
    """Engine + session factory of one app (created in the worker, never shared across a fork)."""

    engine: Engine
    session_factory: sessionmaker[Session]

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work; commit explicitly, leaving the block rolls back."""
        return UnitOfWork(self.session_factory)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only session, closed (rolled back) afterwards."""
        s = self.session_factory()
        try:
            yield s
        finally:
            s.rollback()
            s.close()

    def ping(self) -> bool:
        """True if the database answers ``SELECT 1``."""
        try:
            with self.engine.connect() as c:
                c.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def serves_tables(self) -> str | None:
        """None if the service's schema is there and readable; else what is wrong (for ``/health/ready``).

        The schema must be at the migrations' head, and every table of the
        models must answer a ``SELECT`` (one statement, no rows read): a
        database that answers ``SELECT 1`` but lacks a table, holds an old
        schema, denies access or keeps a table locked past the lock timeout is
        not ready.
        """
        from repository.migrate import head_revision
        from repository.models import Base
        probe = " UNION ALL ".join(f"SELECT 1 FROM (SELECT 1 AS x FROM {t.name} WHERE 1 = 0) AS {t.name}_probe"
                                   for t in Base.metadata.sorted_tables)
        try:
            with self.engine.connect() as c:
                version = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
                c.execute(text(probe)).all()
        except Exception as e:
            return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:200]
        expected = head_revision()
        if version != expected:
            return f"schema at revision {version}, the service needs {expected}: run 'ocms db upgrade'"
        return None


def run_in_transaction(database: Database, work: Callable[[UnitOfWork, int], T], *,
                       attempts: int = DEFAULT_ATTEMPTS,
                       retry_if: Callable[[SQLAlchemyError], bool] | None = None, what: str = "transaction") -> T:
    """Run ``work(uow, attempt)`` in a new unit of work and commit it; again, whole, if a concurrent writer won.

    ``work`` must only touch the database (or undo its own side effects when it
    raises): a retry starts it again from scratch in a fresh transaction.
    Retried: serialization failures and deadlocks (:data:`repository.db.CONFLICT`)
    and whatever ``retry_if`` accepts (the intake retries a unique-key clash,
    which the next try resolves by finding the other's row). Anything else,
    and the last conflict, propagates: :mod:`api.web.errors` answers conflicts,
    lock/statement timeouts and an unreachable database 503 OCMS-5003.
    """
    for attempt in range(1, attempts + 1):
        try:
            with database.unit_of_work() as uow:
                result = work(uow, attempt)
                uow.commit()
            return result
        except SQLAlchemyError as e:
            retry = classify_error(e) == CONFLICT or (retry_if is not None and retry_if(e))
            if not retry or attempt == attempts:
                raise
            log.info("%s met a concurrent writer (attempt %d of %d): %s", what, attempt, attempts,
                     str(e).splitlines()[0][:200])
            time.sleep(random.uniform(0.005, 0.03) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def init_database(app: Flask) -> Database:
    """Create the engine for ``OCMS_DATABASE_URL`` (with the request timeouts) and attach it to ``app``."""
    lock = app.config.get("OCMS_LOCK_TIMEOUT", 3)
    engine = make_engine(app.config["OCMS_DATABASE_URL"], statement_timeout=app.config.get("OCMS_STATEMENT_TIMEOUT", 10),
                         lock_timeout=lock, connect_timeout=max(lock, 2), pool_timeout=max(lock, 1))
    db = Database(engine, make_session_factory(engine))
    reference_cache.set_ttl(app.config.get("OCMS_REFERENCE_TTL", reference_cache.DEFAULT_TTL))
    app.extensions[EXTENSION] = db
    return db


def get_db(app: Flask | None = None) -> Database:
    """The database of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
