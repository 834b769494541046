"""Furnish driver/hirer applications (OCMS 14 §7.2.5, tab 4), internet and intranet.

The eService writes ``eocms_furnish_application`` (internet zone); the furnish
sync job copies each row once into ``ocms_furnish_application`` (intranet),
where it is checked against MHA and approved automatically or queued for an
OIC. Status is PENDING_APPROVAL, then APPROVED or REJECTED, on both copies.

At most one application per notice may be pending on the internet side: the
partial unique index ``uq_eocms_furnish_application_pending`` refuses a second
one even when two submissions race.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import AuditMixin, Base

#: Statuses of an application (both zones).
PENDING_APPROVAL, APPROVED, REJECTED = "PENDING_APPROVAL", "APPROVED", "REJECTED"
FURNISH_STATUSES = (PENDING_APPROVAL, APPROVED, REJECTED)


class FurnishColumns(AuditMixin):
    """Columns shared by ``ocms_furnish_application`` and ``eocms_furnish_application``."""

    application_id: Mapped[str] = mapped_column(String(20), primary_key=True)  # FA20260115001
    furnish_type: Mapped[str] = mapped_column(String(10), nullable=False)  # DRIVER / HIRER
    id_type: Mapped[Optional[str]] = mapped_column(String(10))
    id_no: Mapped[Optional[str]] = mapped_column(String(20))
    name: Mapped[Optional[str]] = mapped_column(String(66))
    contact_no: Mapped[Optional[str]] = mapped_column(String(20))
    email_addr: Mapped[Optional[str]] = mapped_column(String(320))
    # PENDING_APPROVAL / APPROVED / REJECTED
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=PENDING_APPROVAL)
    submitted_date: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    decision_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    decided_by: Mapped[Optional[str]] = mapped_column(String(50))
    rejection_reason: Mapped[Optional[str]] = mapped_column(String(200))
    synced_date: Mapped[Optional[datetime]] = mapped_column(DateTime)


class FurnishApplication(FurnishColumns, Base):
    """A furnish application synced into the intranet zone, with its checks and review."""

    __tablename__ = "ocms_furnish_application"
    __table_args__ = (Index("ix_ocms_furnish_application_status", "status", "submitted_date"),)

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("ocms_valid_offence_notice.notice_no"), nullable=False, index=True
    )
    # The automatic check (MHA, auto-approval criteria; ruleset furnish_approval).
    checked_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    check_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    last_check_error: Mapped[Optional[str]] = mapped_column(String(200))
    # What MHA answered (name, address, deceased) at the last check, for the OIC and for the offender row.
    check_result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON(none_as_null=True))
    # Why the application waits for an OIC (set when it enters the review queue); null: not queued.
    review_reason: Mapped[Optional[str]] = mapped_column(String(200))
    # The OIC's remark with an approval or a rejection.
    decision_remarks: Mapped[Optional[str]] = mapped_column(String(200))
    # The furnish-sync run that claimed the application for its automatic check (before it calls MHA), and when
    # that claim lapses (a crashed run's applications are then claimed again). Null: not claimed.
    claimed_by: Mapped[Optional[str]] = mapped_column(String(64))
    claimed_until: Mapped[Optional[datetime]] = mapped_column(DateTime)


class EFurnishApplication(FurnishColumns, Base):
    """A furnish application as submitted on the internet eService."""

    __tablename__ = "eocms_furnish_application"
    __table_args__ = (
        # One pending application per notice, enforced by the database against concurrent submissions.
        Index("uq_eocms_furnish_application_pending", "notice_no", unique=True,
              sqlite_where=text("status = 'PENDING_APPROVAL'"),
              postgresql_where=text("status = 'PENDING_APPROVAL'")),
    )

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("eocms_valid_offence_notice.notice_no"), nullable=False, index=True
    )
