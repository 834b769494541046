"""Suspension serial numbers."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from ..notices import ValidOffenceNotice
from ..suspensions import SuspendedNotice
from ._chunks import DEFAULT_CHUNK_SIZE, chunked, unique


def lock_notice(session: Session, notice_no: str) -> None:
    """Hold the notice's row until the transaction ends (a no-op UPDATE: portable row lock).

    On PostgreSQL a second transaction doing the same waits for the first to
    commit and then sees its rows; on SQLite it takes the database's write lock.
    """
    table = ValidOffenceNotice.__table__
    session.execute(update(table).where(table.c.notice_no == notice_no).values(notice_no=table.c.notice_no))


def lock_notices(session: Session, notice_nos: Iterable[str], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
    """Hold the rows of ``notice_nos`` until the transaction ends, taken in key order (call it first).

    PostgreSQL: ``SELECT ... ORDER BY notice_no FOR UPDATE`` (chunked, chunks in
    key order too): every writer locks overlapping notices in the same order,
    so two batches wait for each other instead of deadlocking. SQLite locks the
    whole database: a zero-row UPDATE takes the write lock at once (BEGIN
    IMMEDIATE semantics; the driver would otherwise begin only at the first
    write, after the reads it depends on), so the reads that follow are the
    latest committed ones.
    """
    table = ValidOffenceNotice.__table__
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(table).where(table.c.notice_no.is_(None)).values(notice_no=table.c.notice_no))
        return
    for chunk in chunked(sorted(set(notice_nos)), chunk_size):
        session.execute(select(table.c.notice_no).where(table.c.notice_no.in_(chunk))
                        .order_by(table.c.notice_no).with_for_update()).all()


_VEHICLE_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:v))")


def lock_vehicle(session: Session, vehicle_no: str) -> None:
    """Serialise the intakes of one vehicle until the transaction ends (call it first).

    PostgreSQL: a transaction-scoped advisory lock on the vehicle number (``pg_advisory_xact_lock``,
    released by the database at commit, rollback or a dead connection). SQLite: the database's write
    lock at once (the zero-row UPDATE of :func:`lock_notices`), so the reads that follow see every
    earlier intake of the vehicle.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        lock_notices(session, ())
        return
    connection.execute(_VEHICLE_LOCK, {"v": "ocms-vehicle:" + vehicle_no})


def next_sr_no(session: Session, notice_no: str) -> int:
    """Return the next ``sr_no`` for a new suspension of ``notice_no`` (1 for the first).

    The notice's row is locked first, so two transactions suspending the same
    notice at once get consecutive numbers instead of the same MAX + 1 (the key
    also holds date_of_suspension, so a duplicate would not be refused).
    """
    from .notices import _created
    created = _created(session)
    if created is not None and notice_no in created:
        # Created by this transaction: invisible to others, every suspension of it numbered here.
        created[notice_no] += 1
        return created[notice_no]
    lock_notice(session, notice_no)
    stmt = select(func.coalesce(func.max(SuspendedNotice.sr_no), 0)).where(
        SuspendedNotice.notice_no == notice_no
    )
    return int(session.scalar(stmt) or 0) + 1


def next_sr_nos(
    session: Session, notice_nos: Iterable[str], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> dict[str, int]:
    """Return the next ``sr_no`` of each notice in ``notice_nos`` with one grouped query per chunk."""
    wanted = unique(notice_nos)
    result = dict.fromkeys(wanted, 1)
    for chunk in chunked(wanted, chunk_size):
        stmt = (
            select(SuspendedNotice.notice_no, func.max(SuspendedNotice.sr_no))
            .where(SuspendedNotice.notice_no.in_(chunk))
            .group_by(SuspendedNotice.notice_no)
        )
        for notice_no, max_sr in session.execute(stmt):
            result[notice_no] = int(max_sr) + 1
    return result
