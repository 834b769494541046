"""Advisory-notice logs (OCMS 10 §3.5, §3.6, §3.9) and the manual review queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin


class EanNotificationLog(CreatedMixin, Base):
    """One eAN sent (or attempted) by SMS or email."""

    __tablename__ = "ocms_ean_notification_log"
    __table_args__ = (Index("ix_ocms_ean_notification_log_notice_no", "notice_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_no: Mapped[str] = mapped_column(String(10), nullable=False)
    channel: Mapped[str] = mapped_column(String(5), nullable=False)  # SMS / EMAIL
    recipient_mobile: Mapped[Optional[str]] = mapped_column(String(20))
    recipient_email: Mapped[Optional[str]] = mapped_column(String(320))
    message_content: Mapped[Optional[str]] = mapped_column(Text)
    message_id: Mapped[Optional[str]] = mapped_column(String(100))
    sent_timestamp: Mapped[Optional[datetime]] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # SUCCESS / FAILED
    retry_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AnLetterLog(CreatedMixin, Base):
    """One AN letter submitted (or attempted) to SLIFT."""

    __tablename__ = "ocms_an_letter_log"
    __table_args__ = (Index("ix_ocms_an_letter_log_notice_no", "notice_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_no: Mapped[str] = mapped_column(String(10), nullable=False)
    recipient_name: Mapped[Optional[str]] = mapped_column(String(66))
    recipient_address: Mapped[Optional[str]] = mapped_column(String(500))
    letter_file_path: Mapped[Optional[str]] = mapped_column(String(500))
    slift_submission_id: Mapped[Optional[str]] = mapped_column(String(50))
    sent_timestamp: Mapped[Optional[datetime]] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # SUCCESS / FAILED
    retry_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class UnqualifiedAnTransmissionLog(CreatedMixin, Base):
    """One daily transmission of the unqualified-AN list to REPCCS or CES."""

    __tablename__ = "ocms_unqualified_an_transmission_log"
    __table_args__ = (
        Index("ix_ocms_unqualified_an_transmission_log_date", "transmission_date", "subsystem"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transmission_date: Mapped[date] = mapped_column(Date, nullable=False)
    subsystem: Mapped[str] = mapped_column(String(10), nullable=False)  # REPCCS / CES
    total_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    success_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    retry_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # SUCCESS PARTIAL FAILED


class WebhookReceipt(CreatedMixin, Base):
    """The notice a REPCCS/CES webhook created for one ``transactionId`` (DESIGN.md §10, webhook repeats).

    The key (source, transaction_id) makes the database itself refuse a second
    notice for a repeated transaction, however many repeats arrive at once; a
    repeat is answered from this row: the original answer when OCMS generated
    the notice number (``notice_no_generated`` Y), the spec's duplicate answer
    when the caller sent it.
    """

    __tablename__ = "ocms_webhook_receipt"

    source: Mapped[str] = mapped_column(String(10), primary_key=True)  # REPCCS / CES
    transaction_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    notice_no: Mapped[str] = mapped_column(String(10), nullable=False)
    notice_no_generated: Mapped[str] = mapped_column(String(1), nullable=False)  # Y / N
    response_status: Mapped[int] = mapped_column(Integer, nullable=False)
    response_body: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=False)


class ManualReviewQueue(CreatedMixin, Base):
    """A notice handed to staff after an external step failed (LTA, MHA, SLIFT ...)."""

    __tablename__ = "ocms_manual_review_queue"
    __table_args__ = (
        Index("ix_ocms_manual_review_queue_status", "status", "cre_date"),
        Index("ix_ocms_manual_review_queue_notice_no", "notice_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_no: Mapped[Optional[str]] = mapped_column(String(10))
    review_type: Mapped[str] = mapped_column(String(30), nullable=False)  # e.g. LTA_FAILED
    reason: Mapped[Optional[str]] = mapped_column(Text)
    details: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="OPEN")
    resolved_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    resolved_by: Mapped[Optional[str]] = mapped_column(String(50))
    resolution_remarks: Mapped[Optional[str]] = mapped_column(Text)
