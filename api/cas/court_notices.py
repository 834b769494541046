"""CAS API 2, Update Court Notices: apply CAS's court data to the notices that are court notices.

Technical spec v1.1 §2 with DESIGN.md §10. For one request, in ONE transaction:

1. Notices with ``dayEnd = 'N'`` are ``SKIPPED`` (a notice without ``dayEnd``
   is applied: the spec's own example carries none and expects ``OK``).
2. One ``SELECT notice_no, last_processing_stage ... WHERE notice_no IN (...)``
   (``ORDER BY notice_no FOR UPDATE`` on PostgreSQL: every batch locks its rows
   in the same order, so overlapping batches wait for each other instead of
   deadlocking) finds the others; missing ones are ``NOT_FOUND``.
3. The engine decides every found notice in one batch
   (``stage_catalogue``, question ``cas_court_notice``): ``NOT_COURT_NOTICE``
   (OCMS-4009) or a court notice. No stage list lives here.
4. The spec's UPDATE of the twelve columns (and upd_date, upd_user_id) runs
   once as an executemany for every court notice on ``ocms_valid_offence_notice``;
   one ``UPDATE ... FROM`` copies the same columns to the internet mirror
   ``eocms_valid_offence_notice`` (notices the mirror lacks are left alone).
5. Every decision is written to the decision log and every applied notice to
   the application log, then the transaction commits.

Per-notice results and their app codes:

=================  ===========  ==============================================
status             appCode      when
=================  ===========  ==============================================
OK                 OCMS-2000    updated
NOT_FOUND          OCMS-4004    no such notice (the code echoes 404)
NOT_COURT_NOTICE   OCMS-4009    the engine says the stage is before court
SKIPPED            OCMS-2004    ``dayEnd = 'N'``: nothing to do (echoes 204)
=================  ===========  ==============================================

``updatedCount`` counts OK, ``failedCount`` NOT_FOUND + NOT_COURT_NOTICE,
``skippedCount`` SKIPPED; the three add up to the number of notices sent.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Sequence

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from api.decisions.log import record_decisions
from api.web.json import money
from engine import RuleRegistry
from repository.base import SYSTEM_USER, now
from repository.models import EValidOffenceNotice, ValidOffenceNotice
from repository.queries import lock_notices

log = logging.getLogger(__name__)

RULESET = "stage_catalogue"
QUESTION = "cas_court_notice"
COURT_NOTICE = "COURT_NOTICE"

OK, NOT_FOUND, NOT_COURT_NOTICE, SKIPPED = "OK", "NOT_FOUND", "NOT_COURT_NOTICE", "SKIPPED"
APP_CODES = {OK: "OCMS-2000", NOT_FOUND: "OCMS-4004", NOT_COURT_NOTICE: "OCMS-4009", SKIPPED: "OCMS-2004"}

#: Payload field → column of the spec's UPDATE (§2 "UPDATE Query"), in the spec's order.
COLUMNS = {
    "lastProcessingStage": "last_processing_stage",
    "prevProcessingStage": "prev_processing_stage",
    "nextProcessingStage": "next_processing_stage",
    "lastProcessingDate": "last_processing_date",
    "prevProcessingDate": "prev_processing_date",
    "nextProcessingDate": "next_processing_date",
    "atomsFlag": "atoms_flag",
    "amountPayable": "amount_payable",
    "paymentAcceptanceAllowed": "payment_acceptance_allowed",
    "eprReasonOfSuspension": "epr_reason_of_suspension",
    "eprDateOfSuspension": "epr_date_of_suspension",
    "suspensionType": "suspension_type",
}
DATE_FIELDS = ("lastProcessingDate", "prevProcessingDate", "nextProcessingDate", "eprDateOfSuspension")

_N = ValidOffenceNotice.__table__.c
STAGE_QUERY = select(_N.notice_no, _N.last_processing_stage).where(
    _N.notice_no.in_(bindparam("notice_numbers", expanding=True)))

# PostgreSQL: no change between the check and the UPDATE; rows locked in key order (no deadlock between batches).
STAGE_QUERY_FOR_UPDATE = STAGE_QUERY.order_by(_N.notice_no).with_for_update()


def _update_statement(table):
    """The spec's UPDATE, with bind names apart from column names (executemany, one row per notice)."""
    values = {col: bindparam(f"v_{col}") for col in COLUMNS.values()}
    values.update(upd_date=bindparam("v_upd_date"), upd_user_id=bindparam("v_upd_user_id"))
    return update(table).where(table.c.notice_no == bindparam("k_notice_no")).values(values)


UPDATE_NOTICE = _update_statement(ValidOffenceNotice.__table__)


def _mirror_statement():
    """Copy the updated columns to the internet mirror in one set-based statement (UPDATE ... FROM)."""
    mirror, notice = EValidOffenceNotice.__table__, ValidOffenceNotice.__table__
    cols = [*COLUMNS.values(), "upd_date", "upd_user_id"]
    return (update(mirror).values({c: notice.c[c] for c in cols})
            .where(mirror.c.notice_no == notice.c.notice_no)
            .where(mirror.c.notice_no.in_(bindparam("notice_nos", expanding=True))))


UPDATE_MIRROR = _mirror_statement()


def _as_datetime(value: dt.date | None) -> dt.datetime | None:
    # The stage dates are DateTime columns; CAS sends dates (yyyy-MM-dd): midnight of that day.
    return None if value is None else dt.datetime(value.year, value.month, value.day)


def _update_params(notice: dict, stamp: dt.datetime, user: str) -> dict:
    params = {f"v_{col}": notice.get(field) for field, col in COLUMNS.items()}
    for field in DATE_FIELDS:
        params[f"v_{COLUMNS[field]}"] = _as_datetime(notice.get(field))
    params["v_amount_payable"] = money(notice.get("amountPayable"))
    params.update(k_notice_no=notice["noticeNo"], v_upd_date=stamp, v_upd_user_id=user)
    return params


def _applies(notice: dict) -> bool:
    """Whether CAS marked the notice for processing (DESIGN.md §10: only dayEnd 'Y'; absent means 'Y')."""
    return notice.get("dayEnd", "Y") == "Y"


def update_court_notices(session: Session, registry: RuleRegistry, notices: Sequence[dict], *,
                         caller: str | None, request_id: str | None) -> dict:
    """Apply a validated CAS API 2 batch in ``session`` (never commits) and return the response body.

    ``notices`` are the validated payload items (dates as ``date``, amounts as
    ``Decimal``), notice numbers unique.
    """
    status: dict[str, str] = {}
    wanted = []
    for n in notices:
        if _applies(n):
            wanted.append(n["noticeNo"])
        else:
            status[n["noticeNo"]] = SKIPPED

    stages: dict[str, str | None] = {}
    if wanted:
        postgresql = session.get_bind().dialect.name == "postgresql"
        if not postgresql:
            lock_notices(session, wanted)  # SQLite: the write lock before the stages are read
        stmt = STAGE_QUERY_FOR_UPDATE if postgresql else STAGE_QUERY
        stages = dict(session.execute(stmt, {"notice_numbers": wanted}).all())

    checked = [no for no in wanted if no in stages]
    decisions = registry.evaluate_many(
        RULESET, [{"question": QUESTION, "processing_stage": stages[no]} for no in checked]) if checked else []
    for no in wanted:
        if no not in stages:
            status[no] = NOT_FOUND
    for no, d in zip(checked, decisions):
        status[no] = OK if d.outcome == COURT_NOTICE else NOT_COURT_NOTICE

    stamp, user = now(), SYSTEM_USER
    params = [_update_params(n, stamp, user) for n in notices if status[n["noticeNo"]] == OK]
    if params:
        session.execute(UPDATE_NOTICE, params)
        session.execute(UPDATE_MIRROR, {"notice_nos": [p["k_notice_no"] for p in params]})
    if decisions:
        record_decisions(session, decisions, checked, request_id=request_id, caller=caller)
    for p in params:
        log.info("CAS API 2: notice %s updated by %s (request %s): last_processing_stage=%s",
                 p["k_notice_no"], caller, request_id, p["v_last_processing_stage"])

    results = [{"noticeNo": n["noticeNo"], "appCode": APP_CODES[status[n["noticeNo"]]], "status": status[n["noticeNo"]]}
               for n in notices]
    updated = sum(1 for r in results if r["status"] == OK)
    skipped = sum(1 for r in results if r["status"] == SKIPPED)
    return {"updatedCount": updated, "failedCount": len(results) - updated - skipped, "skippedCount": skipped,
            "notices": results}


__all__ = ["APP_CODES", "COLUMNS", "update_court_notices"]
