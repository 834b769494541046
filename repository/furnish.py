"""Furnish driver/hirer applications (OCMS 14 §7.2.5), internet and intranet."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AuditMixin, Base


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
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="PENDING_APPROVAL")
    submitted_date: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    decision_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    decided_by: Mapped[Optional[str]] = mapped_column(String(50))
    rejection_reason: Mapped[Optional[str]] = mapped_column(String(200))
    synced_date: Mapped[Optional[datetime]] = mapped_column(DateTime)


class FurnishApplication(FurnishColumns, Base):
    """A furnish application synced into the intranet zone."""

    __tablename__ = "ocms_furnish_application"

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("ocms_valid_offence_notice.notice_no"), nullable=False, index=True
    )


class EFurnishApplication(FurnishColumns, Base):
    """A furnish application as submitted on the internet eService."""

    __tablename__ = "eocms_furnish_application"

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("eocms_valid_offence_notice.notice_no"), nullable=False, index=True
    )
