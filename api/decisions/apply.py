"""Apply a decision's actions to the database: one function per action name.

``apply_actions(uow, notice_no, actions)`` runs inside the caller's unit of
work and never commits. Actions are data (``engine.Action``) from the rules;
their names and arguments are the vocabulary in :mod:`api.decisions.vocabulary`.

* ``set_notice_fields`` — set columns of the notice and of its internet mirror.
* ``suspend`` — new ``ocms_suspended_notice`` row (next ``sr_no``, revival date
  from ``ocms_parameter`` REVIVAL_DAYS/<reason> unless the rule gives
  ``revival_days``; a missing or invalid period is :data:`DEFAULT_REVIVAL_DAYS`
  with a logged warning, OCMS 10 §3.7 — never no date, never an error), the
  notice's suspension fields, and both internet mirrors.

A notice created by the caller's own transaction (the intake marks it with
:func:`repository.queries.mark_notice_created`) is invisible to everyone else:
its suspensions are numbered without a row lock or query, and its internet
mirror is left to its creator, who copies it whole before commit.
* ``reject`` / ``skip`` — recorded in the result for the use case to answer.
* ``manual_review`` — recorded, and queued in ``ocms_manual_review_queue``.
* ``queue_an_notification`` — an ``ocms_an_notification`` row (PENDING) for the
  notice, one per qualification: the ``an-notifications`` job notifies the owner
  and applies PS-ANS after the send (OCMS 10 §3.4-3.7).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable

from sqlalchemy import Date, DateTime, inspect, select
from sqlalchemy.orm import Session

from engine import Action
from repository.models import (
    SYSTEM_USER,
    ESuspendedNotice,
    EValidOffenceNotice,
    AnNotification,
    ManualReviewQueue,
    SuspendedNotice,
    ValidOffenceNotice,
    now,
)
from repository.queries import get_notice, next_sr_no, notice_created_here
from repository.reference_cache import get_parameter  # per-process cache, emptied on every write (module docstring)

log = logging.getLogger(__name__)

#: Reasons of suspension kept in the notice's crs_* (payment) columns; the others go to epr_*.
CRS_REASONS = frozenset({"FP", "PRA"})
#: OCMS 10 §3.7 "Revival Date Calculation: use default 30 days, log warning": the period when
#: REVIVAL_DAYS/<reason> is missing or not a whole number of days in [0, MAX_REVIVAL_DAYS].
DEFAULT_REVIVAL_DAYS = 30
MAX_REVIVAL_DAYS = 36_500
#: Columns rules may never set directly (keys and audit columns).
PROTECTED_COLUMNS = frozenset({"notice_no", "cre_date", "cre_user_id", "upd_date", "upd_user_id"})


class ApplyError(ValueError):
    """An action cannot be applied (unknown notice, unknown column, unknown action)."""


@dataclass
class ApplyResult:
    """What applying a decision's actions did to one notice."""

    notice_no: str
    applied: list[dict] = field(default_factory=list)
    rejected: dict | None = None
    skipped: dict | None = None
    manual_review: dict | None = None

    def to_dict(self) -> dict:
        return {"noticeNo": self.notice_no, "applied": self.applied, "rejected": self.rejected,
                "skipped": self.skipped, "manualReview": self.manual_review}


def _columns(model) -> dict[str, Any]:
    return {c.key: c for c in inspect(model).columns}


def _coerce(column, value):
    """Values from YAML arrive as text; give date/datetime columns real dates."""
    if isinstance(value, str) and isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(value, str) and isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def _mirror(session: Session, notice: ValidOffenceNotice) -> EValidOffenceNotice:
    """The internet mirror of ``notice``, created as a copy if it does not exist yet."""
    mirror = session.get(EValidOffenceNotice, notice.notice_no)
    if mirror is None:
        mirror = EValidOffenceNotice(**{k: getattr(notice, k) for k in _columns(EValidOffenceNotice)})
        session.add(mirror)
        session.flush()
    return mirror


def _update(session: Session, notice: ValidOffenceNotice, values: dict, user: str) -> None:
    """Set ``values`` on the notice and on its mirror (unless its creator writes the mirror: see below)."""
    values = {**values, "upd_user_id": user, "upd_date": now()}
    targets = [notice]
    if not notice_created_here(session, notice.notice_no):
        # A notice created by this very transaction (the intake) gets its mirror written whole before commit
        # (repository.queries.mark_notice_created); any other notice's mirror follows each change here.
        targets.append(_mirror(session, notice))
    for target in targets:
        for k, v in values.items():
            setattr(target, k, v)


def _flush_unless_created_here(session: Session, notice: ValidOffenceNotice) -> None:
    """Write the rows an action added now, unless the notice's creator writes them all before commit.

    The intake (which marks the notices it creates: :func:`repository.queries.mark_notice_created`)
    writes the notice and every row its actions add in one go.
    """
    if not notice_created_here(session, notice.notice_no):
        session.flush()


def set_notice_fields(session: Session, notice: ValidOffenceNotice, params: dict, user: str) -> dict:
    """Set the named columns of the notice and of its internet mirror."""
    columns = _columns(ValidOffenceNotice)
    bad = sorted(k for k in params if k not in columns or k in PROTECTED_COLUMNS)
    if bad:
        raise ApplyError(f"set_notice_fields: not settable column(s) of ocms_valid_offence_notice: {', '.join(bad)}")
    values = {k: _coerce(columns[k], v) for k, v in params.items()}
    _update(session, notice, values, user)
    return {"action": "set_notice_fields", "fields": sorted(values)}


def revival_days(session: Session, reason: str, given: Any = None, notice_no: str | None = None,
                 default: Any = None) -> int:
    """Days until a suspension for ``reason`` is due for revival (OCMS 10 §3.7, OCMS 14 tab 2 step 7).

    The rule's ``revival_days`` if it gives one, else ``ocms_parameter``
    REVIVAL_DAYS/<reason>. A missing, non-numeric, negative or absurd value
    (over :data:`MAX_REVIVAL_DAYS`) gives the rule's ``default_revival_days``
    (``default``: per reason, in the ruleset - TS-OLD 21, PS-ANS 30) or, when the
    rule gives none, :data:`DEFAULT_REVIVAL_DAYS`, and a logged warning naming the
    parameter: the notice is still suspended.
    """
    fallback = DEFAULT_REVIVAL_DAYS
    if default is not None and not isinstance(default, bool):
        try:
            fallback = int(default) if 0 <= int(default) <= MAX_REVIVAL_DAYS else DEFAULT_REVIVAL_DAYS
        except (TypeError, ValueError):
            fallback = DEFAULT_REVIVAL_DAYS
    source = "the rule's revival_days"
    raw = given
    if raw is None:
        source = f"ocms_parameter REVIVAL_DAYS/{reason}"
        raw = get_parameter(session, "REVIVAL_DAYS", reason)
    if raw is None:
        log.warning("%s is missing: notice %s suspended with the default revival period of %d days",
                    source, notice_no, fallback)
        return fallback
    try:
        days = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except ValueError:
        days = None
    if days is None or not 0 <= days <= MAX_REVIVAL_DAYS:
        log.warning("%s is %r, not a number of days from 0 to %d: notice %s suspended with the default revival "
                    "period of %d days", source, raw, MAX_REVIVAL_DAYS, notice_no, fallback)
        return fallback
    return days


def suspend(session: Session, notice: ValidOffenceNotice, params: dict, user: str) -> dict:
    """Insert the next suspension of the notice (and its mirror) and set the notice's suspension fields."""
    stype, reason = params["suspension_type"], params["reason"]
    days = revival_days(session, reason, params.get("revival_days"), notice.notice_no,
                        params.get("default_revival_days"))
    when = now()
    revival = when + timedelta(days=days)
    sr_no = next_sr_no(session, notice.notice_no)
    row = {
        "notice_no": notice.notice_no, "date_of_suspension": when, "sr_no": sr_no,
        "suspension_type": stype, "reason_of_suspension": reason,
        "suspension_source": get_parameter(session, "SUSPENSION", "SOURCE", SYSTEM_USER),
        "officer_authorising_suspension": get_parameter(session, "SUSPENSION", "OFFICER_AUTHORISING"),
        "due_date_of_revival": revival, "suspension_remarks": params.get("remarks"),
        "cre_user_id": user, "cre_date": when,
    }
    prefix = "crs" if reason in CRS_REASONS else "epr"
    _update(session, notice, {
        "suspension_type": stype, f"{prefix}_reason_of_suspension": reason,
        f"{prefix}_date_of_suspension": when, "due_date_of_revival": revival,
    }, user)
    session.add(SuspendedNotice(**row))
    if not notice_created_here(session, notice.notice_no):  # else copied with the notice's mirror (see _update)
        session.add(ESuspendedNotice(**row))
    _flush_unless_created_here(session, notice)
    return {"action": "suspend", "suspensionType": stype, "reason": reason, "srNo": sr_no,
            "dueDateOfRevival": revival.isoformat()}


def _reject(session, notice, params, user) -> dict:
    return {"action": "reject", **params}


def _skip(session, notice, params, user) -> dict:
    return {"action": "skip", **params}


def _manual_review(session: Session, notice: ValidOffenceNotice, params: dict, user: str) -> dict:
    session.add(ManualReviewQueue(notice_no=notice.notice_no, review_type="RULES", reason=params["reason"],
                                  details=params, cre_user_id=user))
    _flush_unless_created_here(session, notice)
    return {"action": "manual_review", **params}


def queue_an_notification(session: Session, notice: ValidOffenceNotice, params: dict, user: str) -> dict:
    """Leave the notice pending AN notification: its ``ocms_an_notification`` row (once per qualification)."""
    # A notice created in this transaction (the intake) has no row yet: no look-up needed.
    row = None if notice_created_here(session, notice.notice_no) else session.scalar(
        select(AnNotification).where(AnNotification.notice_no == notice.notice_no))
    if row is None:
        session.add(AnNotification(notice_no=notice.notice_no, status="PENDING", step="QUALIFIED", ps_ans_applied="N",
                                   attempts=0, cre_user_id=user))
        _flush_unless_created_here(session, notice)
    return {"action": "queue_an_notification"}


HANDLERS: dict[str, Callable[[Session, ValidOffenceNotice, dict, str], dict]] = {
    "set_notice_fields": set_notice_fields,
    "suspend": suspend,
    "reject": _reject,
    "skip": _skip,
    "manual_review": _manual_review,
    "queue_an_notification": queue_an_notification,
}


def apply_actions(uow, notice_no: str, actions: Iterable[Action], user: str = SYSTEM_USER) -> ApplyResult:
    """Apply ``actions`` to notice ``notice_no`` in order, inside ``uow`` (no commit).

    Raises ApplyError for an unknown notice, action or column; the caller's
    unit of work then rolls everything back.
    """
    session: Session = uow.session
    notice = get_notice(session, notice_no)
    if notice is None:
        raise ApplyError(f"notice {notice_no!r} not found")
    result = ApplyResult(notice_no)
    for action in actions:
        handler = HANDLERS.get(action.name)
        if handler is None:
            raise ApplyError(f"no handler for action {action.name!r}")
        effect = handler(session, notice, dict(action.params), user)
        result.applied.append(effect)
        if action.name == "reject":
            result.rejected = effect
        elif action.name == "skip":
            result.skipped = effect
        elif action.name == "manual_review":
            result.manual_review = effect
    return result
