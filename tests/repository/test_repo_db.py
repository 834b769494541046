"""Engines, URLs and the unit of work."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from repository.db import UnitOfWork, default_sqlite_url, make_engine, normalise_url
from repository.models import OffenceNoticeDetail, ValidOffenceNotice


@pytest.mark.parametrize(
    "url, driver",
    [
        ("postgresql://root@127.0.0.1:5432/test", "postgresql+psycopg"),
        ("postgres://root@127.0.0.1/test", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_normalise_url_uses_psycopg3(url, driver):
    assert normalise_url(url).drivername == driver


def test_default_sqlite_url(tmp_path):
    assert default_sqlite_url(tmp_path / "instance") == f"sqlite:///{tmp_path}/instance/ocms.db"


def test_sqlite_engine_creates_dir_and_sets_pragmas(tmp_path):
    path = tmp_path / "nested" / "dir" / "ocms.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_sqlite_memory_engine_works():
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def count_notices(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(ValidOffenceNotice))


def test_unit_of_work_commit_persists(session_factory, notice_row):
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(insert(ValidOffenceNotice), [notice_row("500000001A")])
        uow.commit()
    assert count_notices(session_factory) == 1


def test_unit_of_work_without_commit_rolls_back(session_factory, notice_row):
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(insert(ValidOffenceNotice), [notice_row("500000001A")])
        uow.session.flush()
    assert count_notices(session_factory) == 0


def test_unit_of_work_rolls_back_on_error(session_factory, notice_row):
    with pytest.raises(RuntimeError):
        with UnitOfWork(session_factory) as uow:
            uow.session.add(ValidOffenceNotice(**notice_row("500000001A")))
            uow.session.flush()
            raise RuntimeError("boom")
    assert count_notices(session_factory) == 0


def test_unit_of_work_keeps_only_committed_part(session_factory, notice_row):
    with UnitOfWork(session_factory) as uow:
        uow.session.add(ValidOffenceNotice(**notice_row("500000001A")))
        uow.commit()
        uow.session.add(ValidOffenceNotice(**notice_row("500000002B")))
        uow.session.flush()
    with session_factory() as s:
        assert s.scalars(select(ValidOffenceNotice.notice_no)).all() == ["500000001A"]


def test_foreign_keys_are_enforced(session):
    with pytest.raises(IntegrityError):
        session.execute(insert(OffenceNoticeDetail), [{"notice_no": "NOPE000001"}])
        session.flush()


def test_money_round_trips_exactly(session, notice_row):
    session.add(ValidOffenceNotice(**notice_row("500000001A", amount_payable=Decimal("123.45"))))
    session.commit()
    session.expire_all()
    assert session.get(ValidOffenceNotice, "500000001A").amount_payable == Decimal("123.45")
