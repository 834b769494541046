"""Database fixtures of the repository tests.

The database is ``$OCMS_DATABASE_URL`` if set (e.g. the shared PostgreSQL
``test`` database), else a SQLite file in a temporary directory. The schema is
dropped and migrated afresh once per test session; every test that uses
``session`` or ``session_factory`` starts and ends with empty tables.
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from repository.db import DATABASE_URL_ENV, default_sqlite_url, make_engine, make_session_factory
from repository.migrate import delete_all_rows, drop_schema, upgrade
from repository.models import ValidOffenceNotice


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of the database under test."""
    return os.environ.get(DATABASE_URL_ENV) or default_sqlite_url(tmp_path_factory.mktemp("ocms"))


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """Engine on a freshly dropped and migrated schema."""
    eng = make_engine(db_url)
    drop_schema(eng)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Session factory over empty tables; the tables are emptied again afterwards."""
    delete_all_rows(engine)
    yield make_session_factory(engine)
    delete_all_rows(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on empty tables, rolled back and closed after the test."""
    s = session_factory()
    yield s
    s.rollback()
    s.close()


def notice_row(notice_no: str, **overrides: Any) -> dict[str, Any]:
    """Return a minimal valid ``ocms_valid_offence_notice`` row."""
    row: dict[str, Any] = {
        "notice_no": notice_no,
        "vehicle_no": "SBA1234A",
        "notice_date_and_time": datetime(2026, 1, 15, 10, 30),
        "offence_notice_type": "O",
        "vehicle_registration_type": "S",
        "computer_rule_code": 10100,
        "composition_amount": Decimal("50.00"),
        "amount_payable": Decimal("50.00"),
        "last_processing_stage": "RD1",
    }
    row.update(overrides)
    return row


@pytest.fixture(name="notice_row")
def notice_row_fixture() -> Callable[..., dict[str, Any]]:
    """The :func:`notice_row` builder, for tests (test modules cannot import conftest)."""
    return notice_row


@pytest.fixture
def add_notices(session: Session) -> Callable[..., list[str]]:
    """Insert notice rows (each a dict of overrides with a notice_no) and return their numbers."""

    def add(*rows: dict[str, Any]) -> list[str]:
        values = [notice_row(**r) for r in rows]
        session.execute(insert(ValidOffenceNotice), values)
        session.flush()
        return [v["notice_no"] for v in values]

    return add
