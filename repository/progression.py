"""What stage progression and the print-vendor letters keep (OCMS 14 tabs 2, 3 and 9).

* ``ocms_letter_delivery`` — one letter file for the print vendor: written, then
  delivered to its SFTP directory. The file name is unique (notice, letter,
  business date), so a re-run finds what it already delivered and never
  delivers it twice.
* ``ocms_pending_check`` — an external check of an offender that failed
  (MHA or DataHive unavailable: tab 9 "proceed without update, retry in the
  next run"); the next run retries the open ones and closes them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin

DELIVERED = "DELIVERED"


class LetterDelivery(CreatedMixin, Base):
    """One letter (PDF) delivered to the print vendor."""

    __tablename__ = "ocms_letter_delivery"
    __table_args__ = (Index("ix_ocms_letter_delivery_notice_no", "notice_no", "letter_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    notice_no: Mapped[str] = mapped_column(String(10), nullable=False)
    letter_type: Mapped[str] = mapped_column(String(10), nullable=False)  # VIP_AN, RD1, RD2, RR3, DN1, DN2, DR3
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    remote_path: Mapped[str] = mapped_column(String(300), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=DELIVERED)
    delivered_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    job_name: Mapped[Optional[str]] = mapped_column(String(50))


class PendingCheck(CreatedMixin, Base):
    """An offender check (MHA, DATAHIVE) that failed and is retried by the next run."""

    __tablename__ = "ocms_pending_check"
    __table_args__ = (Index("ix_ocms_pending_check_open", "system", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_no: Mapped[str] = mapped_column(String(10), nullable=False)
    owner_driver_indicator: Mapped[str] = mapped_column(String(3), nullable=False)
    id_no: Mapped[str] = mapped_column(String(20), nullable=False)
    system: Mapped[str] = mapped_column(String(10), nullable=False)  # MHA / DATAHIVE
    stage: Mapped[Optional[str]] = mapped_column(String(3))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    last_tried_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    resolved_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
