"""Copy a notice and its suspensions to the internet mirror (``eocms_*``) with two upserts.

:func:`copy_notice_to_mirror` is ``INSERT INTO eocms_… SELECT … FROM ocms_… WHERE notice_no = :n
ON CONFLICT (key) DO UPDATE SET every column = the intranet value`` for the notice and then for its
suspensions: two statements whatever the mirror held before (none, stale, equal), on PostgreSQL and
SQLite (3.24+) alike, instead of reading each mirror row to compare it. Never commits.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..notices import EValidOffenceNotice, ValidOffenceNotice
from ..suspensions import ESuspendedNotice, SuspendedNotice


@lru_cache(maxsize=None)
def _upsert_statement(dialect: str, target, source):
    """The upsert of ``target`` from ``source`` for one ``:notice_no``, built once per dialect (it has ~50 columns)."""
    target, source = target.__table__, source.__table__  # Core tables: no ORM bulk-insert handling
    columns = [c.name for c in target.columns]
    keys = {c.name for c in target.primary_key}
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(target).from_select(columns, select(*[source.c[c] for c in columns])
                                      .where(source.c.notice_no == bindparam("notice_no")))
    return stmt.on_conflict_do_update(index_elements=sorted(keys),
                                      set_={c: getattr(stmt.excluded, c) for c in columns if c not in keys}
                                      ).returning(target.c.notice_no)  # rowcount is -1 here on psycopg


def _upsert(session: Session, target, source, notice_no: str) -> int:
    stmt = _upsert_statement(session.get_bind().dialect.name, target, source)
    return len(session.execute(stmt, {"notice_no": notice_no}).all())


def copy_notice_to_mirror(session: Session, notice_no: str, suspensions: bool = True) -> tuple[int, int]:
    """Make the mirror of notice ``notice_no`` and of its suspensions equal to the intranet rows.

    ``suspensions=False`` copies the notice only: for a caller that knows the notice has no suspension
    (the intake of a notice it created without one), one statement instead of two.

    Returns (notice rows, suspension rows) written: (0, 0) if there is no such notice. Rows of the
    mirror without an intranet counterpart are left alone (as before: the mirror is only ever
    written from the intranet). Pending ORM changes are flushed first; mirror objects already in the
    session are expired (the upsert wrote them behind the ORM's back).
    """
    session.flush()
    notices = _upsert(session, EValidOffenceNotice, ValidOffenceNotice, notice_no)
    if not notices:
        return 0, 0
    suspensions = _upsert(session, ESuspendedNotice, SuspendedNotice, notice_no) if suspensions else 0
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (EValidOffenceNotice, ESuspendedNotice)) and obj.notice_no == notice_no:
            session.expire(obj)
    return notices, suspensions


__all__ = ["copy_notice_to_mirror"]
