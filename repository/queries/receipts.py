"""The intake's first look-up (``ocms_webhook_receipt``, the notice number, the VIP list) in one statement."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, false, literal, select
from sqlalchemy.orm import Session

from ..advisory import WebhookReceipt
from ..notices import ValidOffenceNotice
from ..reference import VipVehicle


@dataclass(frozen=True)
class IntakeLookup:
    """What the intake must know before it decides (OCMS 10 §3.2/§3.3, OCMS 14 tab 2 step 3)."""

    #: The receipt of ``(source, transaction_id)`` when the transaction was seen before: a row with the
    #: columns of ``ocms_webhook_receipt`` as attributes (``notice_no``, ``notice_no_generated``,
    #: ``response_status``, ``response_body`` ...); None otherwise.
    receipt: Any
    #: Notice ``notice_no`` exists already.
    notice_taken: bool
    #: ``ocms_vip_vehicle.status`` of the vehicle (``ACTIVE`` ...), None if it is not on the list.
    vip_status: str | None

    @property
    def in_vip_list(self) -> bool:
        return self.vip_status == "ACTIVE"


@lru_cache(maxsize=None)
def _statement(with_receipt: bool, with_notice: bool):
    """The look-up for what is given, built once (a new statement per call costs more than its round trip)."""
    receipt, notice, vip = WebhookReceipt.__table__, ValidOffenceNotice.__table__, VipVehicle.__table__
    taken = (exists().where(notice.c.notice_no == bindparam("notice_no")) if with_notice else false())
    status = select(vip.c.status).where(vip.c.vehicle_no == bindparam("vehicle_no")).scalar_subquery()
    key = (and_(receipt.c.source == bindparam("source"), receipt.c.transaction_id == bindparam("transaction_id"))
           if with_receipt else false())
    one = select(literal(1).label("one")).subquery()
    return (select(*receipt.c, taken.label("taken_"), status.label("vip_status_"))
            .select_from(one).outerjoin(receipt, key))


def intake_lookup(session: Session, source: str, transaction_id: str | None, notice_no: str | None,
                  vehicle_no: str) -> IntakeLookup:
    """The receipt of ``(source, transaction_id)``, whether ``notice_no`` exists, the vehicle's VIP status.

    One round trip whatever is given: ``SELECT receipt.*, EXISTS(notice), (VIP status) FROM (SELECT 1)
    LEFT JOIN receipt`` (no receipt is looked for without a transaction id, no notice without a number).
    """
    row = session.connection().execute(
        _statement(bool(transaction_id), bool(notice_no)),
        {"source": source, "transaction_id": transaction_id, "notice_no": notice_no, "vehicle_no": vehicle_no},
    ).one()
    return IntakeLookup(row if row.source is not None else None, bool(row.taken_), row.vip_status_)


__all__ = ["IntakeLookup", "intake_lookup"]
