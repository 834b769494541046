"""Reads and writes of the AN notification flow; every function takes a Session and never commits.

A batch of work rows (``ocms_an_notification``) is claimed, read and written
set-based: a fixed number of statements per step for the whole batch
(executemany for per-row values). Every write to a work row is conditional on
the runner's claim (``claimed_by``), so a runner that lost its claim changes
nothing; a send step's intent (``SENDING``) is written only where the result is
still NULL, so of two runners at most one ever makes the call.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from repository.models import (
    SYSTEM_USER,
    AnLetterLog,
    AnNotification,
    Carpark,
    EanNotificationLog,
    ENotificationExclusion,
    EValidOffenceNotice,
    ManualReviewQueue,
    OffenceNoticeOwnerDriver,
    OffenceRuleCode,
    ValidOffenceNotice,
)
from repository.notifications import DONE, IN_DOUBT, PENDING, REVIEW, SENDING, SKIPPED

N = AnNotification.__table__
V = ValidOffenceNotice.__table__
O = OffenceNoticeOwnerDriver.__table__
OWNER = "O"
JOB_USER = SYSTEM_USER  # OCMS 10 §3.7: created_by / modified_by ocmsiz_app_conn
#: The send steps' result columns and the log each writes.
SEND_COLUMNS = ("sms_result", "email_result", "letter_result")
#: The review types of this flow (rules/an_notification_route.yaml review_type) start with this.
REVIEW_PREFIX = "AN_"


def runner_id() -> str:
    """``host:pid:<token>``: who claims rows (the token tells two runs of one process apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_local_claims(session: Session, now: dt.datetime) -> int:
    """Free the claims of runners on this machine whose process is gone (a kill -9): their rows can go on at once.

    Runners on other machines are not checked: their claims run out at ``claimed_until``.
    """
    host = socket.gethostname()
    holders = session.scalars(select(N.c.claimed_by).distinct().where(
        N.c.status == PENDING, N.c.claimed_until > now, N.c.claimed_by.like(f"{host}:%"))).all()
    dead = []
    for holder in holders:
        parts = holder.split(":")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) != os.getpid() and not _pid_alive(int(parts[1])):
            dead.append(holder)
    if not dead:
        return 0
    return session.execute(update(N).where(N.c.claimed_by.in_(dead), N.c.status == PENDING)
                           .values(claimed_until=None)).rowcount or 0


def claim(session: Session, me: str, limit: int, now: dt.datetime, lease: dt.timedelta) -> list[int]:
    """Claim up to ``limit`` pending rows nobody holds, oldest first; return their ids.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so runners at once take different
    rows. SQLite has one runner at a time (the job's file lock). Rows left at
    SENDING by their previous runner become IN_DOUBT (logged) in the same transaction.
    """
    free = select(N.c.id).where(N.c.status == PENDING, or_(N.c.claimed_until.is_(None), N.c.claimed_until < now))
    free = free.order_by(N.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        free = free.with_for_update(skip_locked=True)
    ids = [r[0] for r in session.execute(update(N).where(N.c.id.in_(free)).values(
        claimed_by=me, claimed_until=now + lease, attempts=N.c.attempts + 1, upd_date=now, upd_user_id=JOB_USER)
        .returning(N.c.id)).all()]
    if ids:
        _mark_in_doubt(session, ids, now)
    return sorted(ids)


def _mark_in_doubt(session: Session, ids: Sequence[int], now: dt.datetime) -> None:
    rows = session.execute(select(N.c.id, N.c.notice_no, *(N.c[c] for c in SEND_COLUMNS)).where(
        N.c.id.in_(ids), or_(*(N.c[c] == SENDING for c in SEND_COLUMNS)))).all()
    for row in rows:
        values = {c: IN_DOUBT for c in SEND_COLUMNS if getattr(row, c) == SENDING}
        session.execute(update(N).where(N.c.id == row.id).values(
            **values, last_error="a runner stopped during the call: not sent again", upd_date=now))
        for c in values:
            if c == "letter_result":
                session.execute(insert(AnLetterLog.__table__).values(
                    notice_no=row.notice_no, status=IN_DOUBT, retry_count=0, cre_date=now, cre_user_id=JOB_USER))
            else:
                session.execute(insert(EanNotificationLog.__table__).values(
                    notice_no=row.notice_no, channel="SMS" if c == "sms_result" else "EMAIL", status=IN_DOUBT,
                    retry_count=0, cre_date=now, cre_user_id=JOB_USER))


def release(session: Session, me: str, ids: Sequence[int]) -> None:
    """Give back the claim of rows still pending (the next run takes them)."""
    if ids:
        session.execute(update(N).where(N.c.id.in_(list(ids)), N.c.claimed_by == me, N.c.status == PENDING)
                        .values(claimed_by=None, claimed_until=None))


@dataclass
class State:
    """What one work row and its notice hold now."""

    id: int
    notice_no: str
    work: dict[str, Any]
    notice: dict[str, Any]
    owner: dict[str, Any] | None
    excluded: bool

    def facts(self) -> dict[str, Any]:
        """The facts of rules/an_notification_route.yaml."""
        w, o = self.work, self.owner or {}
        results = {c: (w[c] if w[c] != SENDING else IN_DOUBT) for c in
                   ("owner_result", "contact_result", "sms_result", "email_result", "address_result", "letter_result")}
        return {
            "vehicle_no": self.notice["vehicle_no"],
            "vehicle_registration_type": self.notice["vehicle_registration_type"],
            **results,
            "owner_id_present": bool(o.get("id_no")),
            "suspended": self.notice["suspension_type"] is not None and w["ps_ans_applied"] != "Y",
            "excluded": self.excluded,
            "has_mobile": bool(o.get("mobile_no")),
            "has_email": bool(o.get("email_addr")),
            "notification_sent": "SUCCESS" in (w["sms_result"], w["email_result"], w["letter_result"]),
            "ps_ans_applied": w["ps_ans_applied"] == "Y",
        }


_WORK = ("status", "step", "owner_result", "contact_result", "sms_result", "email_result", "address_result",
         "letter_result", "ps_ans_applied", "attempts", "last_error", "review_id")
_NOTICE = ("vehicle_no", "vehicle_registration_type", "suspension_type", "epr_reason_of_suspension",
           "crs_reason_of_suspension", "notice_date_and_time", "computer_rule_code",
           "composition_amount", "pp_code", "pp_name", "ean_sent_flag", "letter_sent_flag", "an_flag")
_OWNER = ("id_type", "id_no", "name", "mobile_no", "email_addr", "bldg_name", "street_name", "unit_no", "postal_code")


def load_states(session: Session, ids: Sequence[int], me: str | None = None) -> list[State]:
    """The pending rows ``ids`` (claimed by ``me`` when given) with their notice, owner and exclusion; one query."""
    X = ENotificationExclusion.__table__
    R, C = OffenceRuleCode.__table__, Carpark.__table__
    owner_join = and_(O.c.notice_no == N.c.notice_no, O.c.owner_driver_indicator == OWNER)
    excluded = exists().where(X.c.id_no == O.c.id_no)
    stmt = (select(N.c.id, N.c.notice_no, *(N.c[c] for c in _WORK), *(V.c[c] for c in _NOTICE),
                   *(O.c[c].label(f"o_{c}") for c in _OWNER), O.c.notice_no.label("o_present"),
                   excluded.label("excluded"), R.c.rule_description, C.c.pp_name.label("carpark_name"))
            .select_from(N.join(V, V.c.notice_no == N.c.notice_no).outerjoin(O, owner_join)
                         .outerjoin(R, R.c.computer_rule_code == V.c.computer_rule_code)
                         .outerjoin(C, C.c.pp_code == V.c.pp_code))
            .where(N.c.id.in_(list(ids)), N.c.status == PENDING).order_by(N.c.id))
    if me is not None:
        stmt = stmt.where(N.c.claimed_by == me)
    out = []
    for r in session.execute(stmt).mappings():
        notice = {c: r[c] for c in _NOTICE}
        notice["notice_no"] = r["notice_no"]
        notice["offense_description"] = r["rule_description"]
        notice["pp_name"] = r["pp_name"] or r["carpark_name"]
        owner = {c: r[f"o_{c}"] for c in _OWNER} if r["o_present"] is not None else None
        out.append(State(r["id"], r["notice_no"], {c: r[c] for c in _WORK}, notice, owner,
                         bool(r["excluded"]) if owner else False))
    return out


def _executemany_update(session: Session, table, key_cols: Sequence[str], rows: list[dict], extra_where=()) -> int:
    """UPDATE ``table`` row by row (one executemany per set of columns): ``rows`` carry the keys and the values."""
    done = 0
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    for cols, group in groups.items():
        values = {c: bindparam(f"v_{c}") for c in cols if c not in key_cols}
        where = [table.c[k] == bindparam(f"k_{k}") for k in key_cols]
        stmt = update(table).where(*where, *extra_where).values(values)
        params = [{**{f"k_{k}": r[k] for k in key_cols}, **{f"v_{c}": r[c] for c in cols if c not in key_cols}}
                  for r in group]
        result = session.connection().execute(stmt, params)
        done += result.rowcount if result.rowcount and result.rowcount > 0 else 0
    return done


def set_work(session: Session, me: str, rows: list[dict], now: dt.datetime) -> None:
    """Record step results on work rows ``{"id": ..., <column>: value}`` (only where ``me`` holds the claim)."""
    rows = [{**r, "upd_date": now, "upd_user_id": JOB_USER} for r in rows]
    _executemany_update(session, N, ["id"], rows, extra_where=(N.c.claimed_by == me,))


def finish(session: Session, me: str, rows: list[dict], now: dt.datetime) -> None:
    """Record a final status (DONE, SKIPPED, REVIEW) and give back the claim."""
    set_work(session, me, [{**r, "claimed_by": None, "claimed_until": None} for r in rows], now)


def intend(session: Session, me: str, ids: Sequence[int], column: str, step: str, now: dt.datetime) -> set[int]:
    """Write SENDING into ``column`` of the rows whose result is still NULL; return the ids that got it.

    Committed before the call: the call is made only for these ids, so it is made at most once.
    """
    if not ids:
        return set()
    got = session.execute(update(N).where(N.c.id.in_(list(ids)), N.c.claimed_by == me, N.c[column].is_(None),
                                          N.c.status == PENDING)
                          .values({column: SENDING, "step": step, "upd_date": now, "upd_user_id": JOB_USER})
                          .returning(N.c.id)).all()
    return {r[0] for r in got}


def upsert_owners(session: Session, rows: list[dict], now: dt.datetime) -> None:
    """Store owners as the notices' current owner (``O`` row, is_current Y): insert the new, update the known."""
    if not rows:
        return
    nos = [r["notice_no"] for r in rows]
    known = set(session.scalars(select(O.c.notice_no).where(O.c.notice_no.in_(nos),
                                                            O.c.owner_driver_indicator == OWNER)).all())
    new = [r for r in rows if r["notice_no"] not in known]
    old = [r for r in rows if r["notice_no"] in known]
    if new:
        session.execute(insert(O), [{"owner_driver_indicator": OWNER, "is_current": "Y", "cre_date": now,
                                     "cre_user_id": JOB_USER, **r} for r in new])
    if old:
        update_owners(session, old, now)


def update_owners(session: Session, rows: list[dict], now: dt.datetime) -> None:
    """Set columns of the notices' owner rows (``{"notice_no": ..., <column>: value}``)."""
    rows = [{**r, "owner_driver_indicator": OWNER, "upd_date": now, "upd_user_id": JOB_USER} for r in rows]
    _executemany_update(session, O, ["notice_no", "owner_driver_indicator"], rows)


def update_notices(session: Session, rows: list[dict], now: dt.datetime) -> None:
    """Set columns of notices and of their internet copies (``{"notice_no": ..., <column>: value}``)."""
    rows = [{**r, "upd_date": now, "upd_user_id": JOB_USER} for r in rows]
    for table in (V, EValidOffenceNotice.__table__):
        _executemany_update(session, table, ["notice_no"], rows)


def log_ean(session: Session, rows: list[dict], now: dt.datetime) -> None:
    """``ocms_ean_notification_log`` rows (every attempt's outcome)."""
    if rows:
        session.execute(insert(EanNotificationLog.__table__), [{"cre_date": now, "cre_user_id": JOB_USER, **r}
                                                               for r in rows])


def log_letters(session: Session, rows: list[dict], now: dt.datetime) -> None:
    """``ocms_an_letter_log`` rows."""
    if rows:
        session.execute(insert(AnLetterLog.__table__), [{"cre_date": now, "cre_user_id": JOB_USER, **r} for r in rows])


def queue_reviews(session: Session, rows: list[dict], now: dt.datetime) -> dict[str, int]:
    """Manual review queue rows ``{"notice_no", "review_type", "reason", "details"}``; return notice → queue id."""
    out = {}
    for r in rows:
        item = ManualReviewQueue(notice_no=r["notice_no"], review_type=r["review_type"][:30], reason=r["reason"],
                                 details=r["details"], status="OPEN", cre_date=now, cre_user_id=JOB_USER)
        session.add(item)
        session.flush()
        out[r["notice_no"]] = item.id
    return out


def pending_count(session: Session) -> int:
    """Work rows still pending."""
    from sqlalchemy import func
    return session.scalar(select(func.count()).select_from(N).where(N.c.status == PENDING)) or 0


__all__ = ["DONE", "JOB_USER", "OWNER", "PENDING", "REVIEW", "REVIEW_PREFIX", "SKIPPED", "State", "claim", "finish",
           "intend", "load_states", "log_ean", "log_letters", "pending_count", "queue_reviews", "release",
           "release_dead_local_claims", "runner_id", "set_work", "update_notices", "update_owners", "upsert_owners"]
