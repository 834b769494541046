"""Suspension serial numbers."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..suspensions import SuspendedNotice
from ._chunks import DEFAULT_CHUNK_SIZE, chunked, unique


def next_sr_no(session: Session, notice_no: str) -> int:
    """Return the next ``sr_no`` for a new suspension of ``notice_no`` (1 for the first)."""
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
