"""Copy new internet applications into the intranet zone, each exactly once (OCMS 14 tab 4 step 4).

:func:`copy_new_applications` is three set-based statements in the caller's
transaction:

1. ``INSERT INTO ocms_furnish_application SELECT ... FROM eocms_furnish_application``
   of the rows the intranet does not have yet (whose intranet notice exists),
   ``ON CONFLICT DO NOTHING``: a re-run copies nothing again, and of two runs
   at once the second one's inserts of the same rows are silently skipped
   (PostgreSQL waits for the first to commit, SQLite serialises writers);
2. ``synced_date`` stamped on the internet rows now present in the intranet;
3. the intranet notices of pending applications get ``furnish_pending_flag`` Y.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, func, literal, select, update
from sqlalchemy.orm import Session

from repository.base import now
from repository.furnish import FurnishColumns, PENDING_APPROVAL
from repository.models import EFurnishApplication, FurnishApplication, ValidOffenceNotice

#: Columns copied as they are (the shared ones, the audit columns excepted, plus the notice).
COPIED = tuple(c for c in ("notice_no", *(k for k in FurnishColumns.__annotations__))
               if c not in ("cre_date", "cre_user_id", "upd_date", "upd_user_id", "synced_date"))
SYNC_USER = "ocmsiz_cron"


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def copy_new_applications(session: Session) -> dict[str, int]:
    """Copy every internet application the intranet lacks; return ``{"copied", "waitingForNotice"}``."""
    stamp = now()
    E, I, V = EFurnishApplication.__table__, FurnishApplication.__table__, ValidOffenceNotice.__table__
    missing = ~exists().where(I.c.application_id == E.c.application_id)
    has_notice = exists().where(V.c.notice_no == E.c.notice_no)
    source = select(*(E.c[c] for c in COPIED), literal(stamp).label("synced_date"), literal(stamp).label("cre_date"),
                    literal(SYNC_USER).label("cre_user_id")).where(missing, has_notice)
    insert = _insert(session)
    stmt = (insert(I).from_select([*COPIED, "synced_date", "cre_date", "cre_user_id"], source)
            .on_conflict_do_nothing().returning(I.c.application_id))
    copied = len(session.execute(stmt).all())   # RETURNING: the rows really inserted (rowcount is -1 on psycopg)
    waiting = session.scalar(select(func.count()).select_from(E).where(missing)) or 0
    session.execute(update(E).where(E.c.synced_date.is_(None),
                                    exists().where(I.c.application_id == E.c.application_id))
                    .values(synced_date=stamp))
    pending = select(I.c.notice_no).where(I.c.status == PENDING_APPROVAL)
    session.execute(update(V).where(and_(V.c.notice_no.in_(pending), V.c.furnish_pending_flag.is_(None)))
                    .values(furnish_pending_flag="Y"))
    return {"copied": copied, "waitingForNotice": waiting}


__all__ = ["COPIED", "SYNC_USER", "copy_new_applications"]
