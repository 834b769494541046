"""Set-based writes over a batch of notices: suspend, revive, keep the internet mirror in step, isolate failures.

Every function takes a Session, never commits, and touches the whole batch in a
fixed number of statements, whatever its size: the notice numbers travel as
ONE bound parameter (PostgreSQL ``= ANY(array)``, SQLite ``json_each``), not
as thousands of IN-list items.

* :func:`in_batch` — the WHERE clause "notice_no is one of these".
* :func:`suspend_notices` — a new ``ocms_suspended_notice`` row per notice (next
  ``sr_no`` of each), the notices' suspension fields, both internet copies.
* :func:`revive_notices` — the revival record (who, when, why) on each notice's
  open suspension row, the notices' suspension fields cleared, both copies.
* :func:`sync_mirror` — copy columns of the notices to ``eocms_valid_offence_notice``
  (creating a missing copy first).
* :func:`isolating` — run a batch write; if the database refuses it, find the
  notices it refuses (bisection in savepoints), log and skip them, write the rest
  (OCMS 14 tab 9: "log error, skip notice, continue batch").
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Callable, Sequence

from sqlalchemy import ARRAY, String, bindparam, func, insert, inspect, literal, literal_column, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.decisions.apply import CRS_REASONS  # reasons kept in the crs_* (payment) columns; the others in epr_*
from repository.models import SYSTEM_USER, ESuspendedNotice, EValidOffenceNotice, SuspendedNotice, ValidOffenceNotice
from repository.queries import get_parameter

log = logging.getLogger(__name__)

#: The notice's suspension columns.
SUSPENSION_COLUMNS = ("suspension_type", "epr_reason_of_suspension", "epr_date_of_suspension",
                      "crs_reason_of_suspension", "crs_date_of_suspension", "due_date_of_revival")


def in_batch(session: Session, column, notice_nos: Sequence[str]):
    """``column`` is one of ``notice_nos``, bound as one parameter (works for any batch size)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == func.any(bindparam(None, list(notice_nos), type_=ARRAY(String)))
    return column.in_(select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(list(notice_nos)), type_=String))))


def _ensure_mirrors(session: Session, notice_nos: Sequence[str]) -> None:
    """Create the internet copy of every notice of the batch that has none (a copy of the intranet row)."""
    V, E = ValidOffenceNotice, EValidOffenceNotice
    columns = [c.key for c in inspect(E).columns]
    session.execute(insert(E).from_select(columns, select(*[getattr(V, c) for c in columns]).where(
        in_batch(session, V.notice_no, notice_nos), ~select(E.notice_no).where(E.notice_no == V.notice_no).exists())))


def sync_mirror(session: Session, notice_nos: Sequence[str], columns: Sequence[str], ensure: bool = True) -> None:
    """Give the internet copies of the notices the intranet values of ``columns`` (UPDATE ... FROM, one statement).

    ``ensure``: first create the copies that are missing (skip it when the caller just did).
    """
    if not notice_nos:
        return
    V, E = ValidOffenceNotice, EValidOffenceNotice
    if ensure:
        _ensure_mirrors(session, notice_nos)
    session.execute(update(E).where(E.notice_no == V.notice_no, in_batch(session, V.notice_no, notice_nos))
                    .values({getattr(E, c): getattr(V, c) for c in columns})
                    .execution_options(synchronize_session=False))


def suspend_notices(session: Session, notice_nos: Sequence[str], suspension_type: str, reason: str,
                    revival_days: int | None, remarks: str | None, when: dt.datetime, user: str = SYSTEM_USER) -> int:
    """Suspend every notice of the batch: notice fields, one new suspension row each, internet copies; return count.

    The notices' rows are updated (and so locked) first, then each gets the next ``sr_no`` of its own
    suspensions, as :func:`api.decisions.apply.suspend` does for one notice. ``revival_days`` None: no
    revival date.
    """
    if not notice_nos:
        return 0
    V = ValidOffenceNotice
    due = when + dt.timedelta(days=revival_days) if revival_days is not None else None
    prefix = "crs" if reason in CRS_REASONS else "epr"
    count = session.execute(update(V).where(in_batch(session, V.notice_no, notice_nos)).values({
        "suspension_type": suspension_type, f"{prefix}_reason_of_suspension": reason,
        f"{prefix}_date_of_suspension": when, "due_date_of_revival": due, "upd_date": when, "upd_user_id": user,
    }).execution_options(synchronize_session=False)).rowcount
    S = SuspendedNotice
    values = {
        "date_of_suspension": literal(when), "suspension_type": literal(suspension_type),
        "reason_of_suspension": literal(reason),
        "suspension_source": literal(get_parameter(session, "SUSPENSION", "SOURCE", SYSTEM_USER)),
        "officer_authorising_suspension": literal(get_parameter(session, "SUSPENSION", "OFFICER_AUTHORISING"),
                                                  String),
        "due_date_of_revival": literal(due, S.due_date_of_revival.type),
        "suspension_remarks": literal(remarks, String), "cre_user_id": literal(user), "cre_date": literal(when),
    }
    older = select(func.coalesce(func.max(S.sr_no), 0)).where(S.notice_no == V.notice_no).scalar_subquery()
    cols = ["notice_no", "sr_no", *values]
    session.execute(insert(S).from_select(cols, select(V.notice_no, older + 1, *values.values())
                                          .where(in_batch(session, V.notice_no, notice_nos))))
    _ensure_mirrors(session, notice_nos)
    E = ESuspendedNotice
    copied = [c.key for c in inspect(S).columns]
    session.execute(insert(E).from_select(copied, select(*[getattr(S, c) for c in copied]).where(
        in_batch(session, S.notice_no, notice_nos), S.date_of_suspension == when, S.reason_of_suspension == reason)))
    sync_mirror(session, notice_nos, [*SUSPENSION_COLUMNS, "upd_date", "upd_user_id"], ensure=False)
    return count


def revive_notices(session: Session, notice_nos: Sequence[str], reason_of_suspension: str | None, revival_reason: str,
                   officer: str | None, remarks: str | None, when: dt.datetime, user: str = SYSTEM_USER,
                   suspension_type: str | None = None, clear: bool = True) -> int:
    """Record the revival (when, who, why) of each notice's open ``reason_of_suspension`` suspension and lift it.

    Open: ``date_of_revival`` not yet set (both copies). ``reason_of_suspension`` None: any reason
    (of ``suspension_type``, if given). The notices' suspension fields are cleared (notice and internet
    copy) unless ``clear`` is False (a new suspension is about to replace them). Returns the suspension
    rows revived.
    """
    if not notice_nos:
        return 0
    revived = 0
    for model in (SuspendedNotice, ESuspendedNotice):
        which = [in_batch(session, model.notice_no, notice_nos), model.date_of_revival.is_(None)]
        if reason_of_suspension is not None:
            which.append(model.reason_of_suspension == reason_of_suspension)
        if suspension_type is not None:
            which.append(model.suspension_type == suspension_type)
        result = session.execute(update(model).where(*which).values(
            date_of_revival=when, revival_reason=revival_reason, officer_authorising_revival=officer,
            revival_remarks=remarks, upd_date=when, upd_user_id=user).execution_options(synchronize_session=False))
        if model is SuspendedNotice:
            revived = result.rowcount
    if not clear:
        return revived
    V = ValidOffenceNotice
    session.execute(update(V).where(in_batch(session, V.notice_no, notice_nos)).values(
        {**dict.fromkeys(SUSPENSION_COLUMNS), "upd_date": when, "upd_user_id": user})
        .execution_options(synchronize_session=False))
    sync_mirror(session, notice_nos, [*SUSPENSION_COLUMNS, "upd_date", "upd_user_id"])
    return revived


def isolating(session: Session, notice_nos: Sequence[str], write: Callable[[Sequence[str]], object],
              what: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Run ``write(batch)`` in a savepoint; on a database error split the batch until the refused notices are found.

    Returns (notices written, [(notice, error)] skipped). A healthy batch costs one savepoint; k bad
    notices among n cost about 2·k·log2(n) more. Each skipped notice is logged with the error.
    """
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    todo: list[Sequence[str]] = [list(notice_nos)] if notice_nos else []
    if todo and session.get_bind().dialect.name == "sqlite":
        # pysqlite opens its transaction only at the first INSERT/UPDATE: a SAVEPOINT sent before that
        # starts the transaction itself, and its RELEASE would COMMIT. A zero-row UPDATE opens it first.
        session.execute(text("UPDATE ocms_valid_offence_notice SET upd_user_id = upd_user_id WHERE 1 = 0"))
    while todo:
        part = todo.pop()
        try:
            with session.begin_nested():
                write(part)
            done.extend(part)
        except SQLAlchemyError as e:
            if len(part) == 1:
                message = str(getattr(e, "orig", None) or e).splitlines()[0][:300]
                log.error("%s: notice %s skipped: %s", what, part[0], message)
                failed.append((part[0], message))
            else:
                half = len(part) // 2
                todo += [part[half:], part[:half]]
    return done, failed




def set_notices_fields(session: Session, notice_nos: Sequence[str], values: dict, when: dt.datetime,
                       user: str = SYSTEM_USER) -> int:
    """Set columns of every notice of the batch and of its internet copy (the batch form of set_notice_fields)."""
    if not notice_nos:
        return 0
    from api.decisions.apply import PROTECTED_COLUMNS, _coerce

    columns = {c.key: c for c in inspect(ValidOffenceNotice).columns}
    bad = sorted(k for k in values if k not in columns or k in PROTECTED_COLUMNS)
    if bad:
        raise ValueError(f"set_notice_fields: not settable column(s) of ocms_valid_offence_notice: {', '.join(bad)}")
    values = {k: _coerce(columns[k], v) for k, v in values.items()}
    V = ValidOffenceNotice
    count = session.execute(update(V).where(in_batch(session, V.notice_no, notice_nos)).values(
        {**values, "upd_date": when, "upd_user_id": user}).execution_options(synchronize_session=False)).rowcount
    sync_mirror(session, notice_nos, [*values, "upd_date", "upd_user_id"])
    return count


def apply_batch_actions(session: Session, notice_nos: Sequence[str], actions, when: dt.datetime,
                        user: str = SYSTEM_USER) -> list[dict]:
    """Apply one decision's actions to every notice of a batch, set-based (suspend, set_notice_fields).

    The batch form of :func:`api.decisions.apply.apply_actions` for the daily jobs, whose notices share
    one decision. ``suspend`` without ``revival_days`` takes REVIVAL_DAYS/<reason> from ocms_parameter, or the
    rule's ``default_revival_days`` when that is missing or invalid (:func:`api.decisions.apply.revival_days`).
    """
    from api.decisions.apply import revival_days

    applied = []
    for action in actions:
        p = dict(action.params)
        if action.name == "suspend":
            days = revival_days(session, p["reason"], p.get("revival_days"), f"{len(notice_nos)} notice(s)",
                                p.get("default_revival_days"))
            suspend_notices(session, notice_nos, p["suspension_type"], p["reason"], days, p.get("remarks"), when, user)
            applied.append({"action": "suspend", "suspensionType": p["suspension_type"], "reason": p["reason"],
                            "revivalDays": days})
        elif action.name == "set_notice_fields":
            set_notices_fields(session, notice_nos, p, when, user)
            applied.append({"action": "set_notice_fields", "fields": sorted(p)})
        else:
            raise ValueError(f"action {action.name!r} cannot be applied to a batch")
    return applied


__all__ = ["CRS_REASONS", "SUSPENSION_COLUMNS", "apply_batch_actions", "in_batch", "isolating", "revive_notices",
           "set_notices_fields", "suspend_notices", "sync_mirror"]
