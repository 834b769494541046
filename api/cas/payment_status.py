"""CAS API 1, Get Payment Status: the payment fields of the notices CAS asks about.

Query only (technical spec v1.1 §1, DESIGN.md §10): one ``SELECT ... WHERE
notice_no IN (...)`` for the whole batch, no write. Notices that do not exist
are simply absent from the answer; the answer lists the found notices in the
order CAS asked for them (a number asked twice is answered once).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from api.web.json import CENT
from repository.models import ValidOffenceNotice
from repository.queries import get_int_parameter

#: ``ocms_parameter`` row holding the CAS batch limit (APIs 1 and 2), and its default (spec: max 500).
BATCH_LIMIT_PARAMETER = ("BATCH_LIMIT", "CAS")
DEFAULT_BATCH_LIMIT = 500

_N = ValidOffenceNotice.__table__.c
#: The spec's SELECT (§1 "SQL Query"), column for column.
PAYMENT_STATUS_QUERY = select(
    _N.notice_no, _N.suspension_type, _N.crs_reason_of_suspension, _N.epr_reason_of_suspension,
    _N.payment_status, _N.amount_payable, _N.amount_paid, _N.payment_acceptance_allowed,
).where(_N.notice_no.in_(bindparam("notice_numbers", expanding=True)))  # built once; the list is a parameter


def cas_batch_limit(session: Session) -> int:
    """The most notices one CAS API 1/2 request may carry (``BATCH_LIMIT/CAS``, default 500)."""
    return get_int_parameter(session, *BATCH_LIMIT_PARAMETER, default=DEFAULT_BATCH_LIMIT)


def get_payment_status(session: Session, notice_numbers: Sequence[str]) -> list[dict]:
    """Return the spec's response items for the notices found, in request order.

    Keys in the spec's order; amounts as Decimals with two decimals (rendered 300.00).
    """
    wanted = list(dict.fromkeys(notice_numbers))
    if not wanted:
        return []
    rows = session.execute(PAYMENT_STATUS_QUERY, {"notice_numbers": wanted}).all()
    # Numeric columns come back as Decimals; quantize() gives every amount two decimals (300 → 300.00).
    q = Decimal.quantize
    found = {}
    for no, susp, crs, epr, status, payable, paid, allowed in rows:
        found[no] = {
            "noticeNo": no,
            "suspensionType": susp,
            "crsReasonOfSuspension": crs,
            "eprReasonOfSuspension": epr,
            "paymentStatus": status,
            "amountPayable": None if payable is None else q(payable, CENT, ROUND_HALF_UP),
            "amountPaid": None if paid is None else q(paid, CENT, ROUND_HALF_UP),
            "paymentAcceptanceAllowed": allowed,
        }
    return [found[n] for n in wanted if n in found]


__all__ = ["BATCH_LIMIT_PARAMETER", "DEFAULT_BATCH_LIMIT", "cas_batch_limit", "get_payment_status"]
