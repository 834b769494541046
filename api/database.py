"""The app's database handle: one engine and session factory per process."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from flask import Flask, current_app
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from repository.db import UnitOfWork, make_engine, make_session_factory

EXTENSION = "ocms.database"


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


def init_database(app: Flask) -> Database:
    """Create the engine for ``OCMS_DATABASE_URL`` and attach it to ``app``."""
    engine = make_engine(app.config["OCMS_DATABASE_URL"])
    db = Database(engine, make_session_factory(engine))
    app.extensions[EXTENSION] = db
    return db


def get_db(app: Flask | None = None) -> Database:
    """The database of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
