"""Suspension records of notices (OCMS 10 §3.7, OCMS 14 §7), intranet and internet.

Key: (notice_no, date_of_suspension, sr_no); ``sr_no`` is the notice's running
serial number of suspensions (see :func:`repository.queries.next_sr_no`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .base import AuditMixin, Base, inserted_after_notice

if TYPE_CHECKING:
    from .notices import ValidOffenceNotice


class SuspensionColumns(AuditMixin):
    """Columns shared by ``ocms_suspended_notice`` and its internet mirror."""

    date_of_suspension: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    sr_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    suspension_type: Mapped[str] = mapped_column(String(2), nullable=False)  # TS / PS
    reason_of_suspension: Mapped[str] = mapped_column(String(3), nullable=False)
    suspension_source: Mapped[Optional[str]] = mapped_column(String(50))
    officer_authorising_suspension: Mapped[Optional[str]] = mapped_column(String(50))
    due_date_of_revival: Mapped[Optional[datetime]] = mapped_column(DateTime)
    suspension_remarks: Mapped[Optional[str]] = mapped_column(String(200))
    date_of_revival: Mapped[Optional[datetime]] = mapped_column(DateTime)
    revival_reason: Mapped[Optional[str]] = mapped_column(String(3))
    officer_authorising_revival: Mapped[Optional[str]] = mapped_column(String(50))
    revival_remarks: Mapped[Optional[str]] = mapped_column(String(200))

    @declared_attr.directive
    def __table_args__(cls):
        t = cls.__tablename__
        # ANS report: reason + date range; VIP report: CLV revived.
        return (Index(f"ix_{t}_reason_date", "reason_of_suspension", "date_of_suspension"),)


class SuspendedNotice(SuspensionColumns, Base):
    """A suspension (TS/PS + reason) of a notice, intranet."""

    __tablename__ = "ocms_suspended_notice"

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("ocms_valid_offence_notice.notice_no"), primary_key=True
    )
    _notice: Mapped["ValidOffenceNotice"] = inserted_after_notice()  # flush order only


class ESuspendedNotice(SuspensionColumns, Base):
    """Internet-zone mirror of a suspension (``eocms_suspended_notice``)."""

    __tablename__ = "eocms_suspended_notice"

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("eocms_valid_offence_notice.notice_no"), primary_key=True
    )
