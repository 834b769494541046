"""Webhook receipts (``ocms_webhook_receipt``): the intake's first look-up in one statement."""
from __future__ import annotations

from sqlalchemy import and_, literal, select
from sqlalchemy.orm import Session

from ..advisory import WebhookReceipt
from ..notices import ValidOffenceNotice


def receipt_and_notice(session: Session, source: str, transaction_id: str | None,
                       notice_no: str | None) -> tuple[WebhookReceipt | None, bool]:
    """(the receipt of ``(source, transaction_id)`` or None, whether notice ``notice_no`` exists).

    One round trip whatever is given: with both, ``SELECT receipt.*, EXISTS(notice) FROM (SELECT 1)
    LEFT JOIN receipt``; with one of them, that one's primary-key look-up; with neither, none.
    """
    if transaction_id is None:
        return None, bool(notice_no) and session.get(ValidOffenceNotice, notice_no) is not None
    if not notice_no:
        return session.get(WebhookReceipt, (source, transaction_id)), False
    taken = select(ValidOffenceNotice.notice_no).where(ValidOffenceNotice.notice_no == notice_no).exists()
    one = select(literal(1).label("one")).subquery()
    receipt, exists = session.execute(
        select(WebhookReceipt, taken.label("taken")).select_from(one).outerjoin(
            WebhookReceipt, and_(WebhookReceipt.source == source, WebhookReceipt.transaction_id == transaction_id))
    ).one()
    return receipt, bool(exists)


__all__ = ["receipt_and_notice"]
