"""PLUS API 4, Query Notice Info: PLUS sets a payment due date on unpaid notices.

Technical spec v1.1 §4 with DESIGN.md §10. For one request, in ONE transaction:

1. One ``SELECT`` of the notices asked for (``ORDER BY notice_no FOR UPDATE`` on
   PostgreSQL, so a payment cannot slip in between the check and the update,
   and overlapping requests lock in the same order), one of their
   internet mirrors and one of their court cases.
2. The engine decides every notice in one batch (ruleset ``plus_notice_update``,
   facts ``notice_found`` and ``crs_reason_of_suspension``). No paid check lives here.
3. Notices decided ``OK`` get the decision's actions (``set_notice_fields``:
   ``payment_acceptance_allowed`` on the notice and its mirror) and their
   ``ocms_court_case.court_payment_due_date`` set to the requested date; the
   court-case row is created if the notice has none (DESIGN.md §10).
4. Every decision is written to the decision log (subject: the notice number).

Per-notice results come from the rules (``status`` = outcome, ``appCode`` = code):

=============  ===========  ==============================================
status         appCode      when
=============  ===========  ==============================================
OK             OCMS-2000    updated (crs_reason_of_suspension null)
ALREADY_PAID   OCMS-4003    crs_reason_of_suspension not null
NOT_FOUND      OCMS-4004    no such notice (echoes 404, as CAS API 2)
=============  ===========  ==============================================

``updatedCount`` counts OK, ``failedCount`` the others; they add up to the
number of notices sent (the schema refuses a notice number sent twice).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.decisions.apply import apply_actions
from api.decisions.log import record_decisions
from engine import RuleRegistry
from repository.base import SYSTEM_USER
from repository.models import CourtCase, EValidOffenceNotice, ValidOffenceNotice
from repository.queries import get_int_parameter, lock_notices

log = logging.getLogger(__name__)

RULESET = "plus_notice_update"
#: The outcome that means "update this notice" (the ruleset's documented contract).
UPDATED = "OK"

#: ``ocms_parameter`` row holding the PLUS batch limit, and its default (spec: max 10).
BATCH_LIMIT_PARAMETER = ("BATCH_LIMIT", "PLUS")
DEFAULT_BATCH_LIMIT = 10


class _Session:
    """The minimal unit of work :func:`api.decisions.apply.apply_actions` needs: a session."""

    def __init__(self, session: Session):
        self.session = session


def plus_batch_limit(session: Session) -> int:
    """The most notices one PLUS API 4 request may carry (``BATCH_LIMIT/PLUS``, default 10)."""
    return get_int_parameter(session, *BATCH_LIMIT_PARAMETER, default=DEFAULT_BATCH_LIMIT)


def _load(session: Session, notice_numbers: Sequence[str]) -> tuple[
        dict[str, ValidOffenceNotice], list[EValidOffenceNotice], dict[str, CourtCase]]:
    """Load the notices (locked on PostgreSQL), their mirrors and court cases: three SELECTs in all.

    The mirrors are loaded only to sit in the session's identity map, so that
    ``apply_actions`` finds them without a query per notice; the identity map
    holds objects weakly, so the caller keeps the returned list while applying.
    """
    stmt = select(ValidOffenceNotice).where(ValidOffenceNotice.notice_no.in_(notice_numbers))
    if session.get_bind().dialect.name == "postgresql":  # locked as read, in key order
        stmt = stmt.order_by(ValidOffenceNotice.notice_no).with_for_update()
    else:
        lock_notices(session, notice_numbers)  # SQLite: the write lock before the read
    notices = {n.notice_no: n for n in session.scalars(stmt)}
    if not notices:
        return notices, [], {}
    found = list(notices)
    mirrors = session.scalars(select(EValidOffenceNotice).where(EValidOffenceNotice.notice_no.in_(found))).all()
    cases = {c.notice_no: c for c in session.scalars(select(CourtCase).where(CourtCase.notice_no.in_(found)))}
    return notices, list(mirrors), cases


def update_notice_info(session: Session, registry: RuleRegistry, notice_numbers: Sequence[str],
                       payment_due_date: dt.date, *, caller: str | None, request_id: str | None,
                       user: str = SYSTEM_USER) -> dict:
    """Apply a validated PLUS API 4 request in ``session`` (never commits) and return the response body.

    ``notice_numbers`` are unique (the schema refuses repeats); the answer lists
    them in the order sent.
    """
    notices, mirrors, cases = _load(session, notice_numbers)  # mirrors: kept alive for apply_actions
    facts = [{"notice_found": no in notices,
              "crs_reason_of_suspension": notices[no].crs_reason_of_suspension if no in notices else None}
             for no in notice_numbers]
    decisions = registry.evaluate_many(RULESET, facts)

    uow = _Session(session)
    for no, d in zip(notice_numbers, decisions):
        if d.outcome != UPDATED:
            continue
        apply_actions(uow, no, d.actions, user=user)  # an OK for an unknown notice raises: all rolls back
        case = cases.get(no)
        if case is None:
            session.add(CourtCase(notice_no=no, court_payment_due_date=payment_due_date, cre_user_id=user))
        else:
            case.court_payment_due_date = payment_due_date
            case.upd_user_id = user
    session.flush()
    record_decisions(session, decisions, list(notice_numbers), request_id=request_id, caller=caller)

    results = [{"noticeNo": no, "appCode": d.code, "status": d.outcome} for no, d in zip(notice_numbers, decisions)]
    updated = sum(1 for r in results if r["status"] == UPDATED)
    if updated:
        log.info("PLUS API 4: %d notice(s) given payment due date %s by %s (request %s)",
                 updated, payment_due_date.isoformat(), caller, request_id)
    return {"updatedCount": updated, "failedCount": len(results) - updated, "notices": results}


__all__ = ["BATCH_LIMIT_PARAMETER", "DEFAULT_BATCH_LIMIT", "RULESET", "plus_batch_limit", "update_notice_info"]
