"""Offence notices: the notice itself (intranet + internet mirror), its detail,
its offenders, its court case and its stage-change audit trail.

Column names are the specs' (CAS/PLUS technical spec §1-4, OCMS 10 §3, OCMS 14 §7,
OCMS 15 §9). ``offense_notice_type`` in two OCMS 10 queries is a typo for
``offence_notice_type``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .base import AuditMixin, Base, CreatedMixin, inserted_after_notice


class NoticeColumns(AuditMixin):
    """Columns shared by ``ocms_valid_offence_notice`` and its internet mirror."""

    notice_no: Mapped[str] = mapped_column(String(10), primary_key=True)
    # The payloads give string(14), but the UPL placeholder "UNLICENSED_PARKING" is 18 long.
    vehicle_no: Mapped[str] = mapped_column(String(20), nullable=False)
    notice_date_and_time: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    offence_notice_type: Mapped[str] = mapped_column(String(1), nullable=False)  # O / E / U
    vehicle_registration_type: Mapped[Optional[str]] = mapped_column(String(1))  # S D V I F X ...
    # OCMS 10 gives string(1) but its values include LB and HL.
    vehicle_category: Mapped[Optional[str]] = mapped_column(String(2))
    computer_rule_code: Mapped[int] = mapped_column(Integer, nullable=False)
    composition_amount: Mapped[Decimal] = mapped_column(nullable=False)
    amount_payable: Mapped[Optional[Decimal]]
    amount_paid: Mapped[Optional[Decimal]]
    payment_status: Mapped[Optional[str]] = mapped_column(String(10))
    payment_acceptance_allowed: Mapped[Optional[str]] = mapped_column(String(1))
    subsystem_label: Mapped[Optional[str]] = mapped_column(String(8))
    transaction_id: Mapped[Optional[str]] = mapped_column(String(50))
    pp_code: Mapped[Optional[str]] = mapped_column(String(5))
    pp_name: Mapped[Optional[str]] = mapped_column(String(100))
    offender_name: Mapped[Optional[str]] = mapped_column(String(66))

    prev_processing_stage: Mapped[Optional[str]] = mapped_column(String(3))
    prev_processing_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    last_processing_stage: Mapped[Optional[str]] = mapped_column(String(3))
    last_processing_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    next_processing_stage: Mapped[Optional[str]] = mapped_column(String(3))
    next_processing_date: Mapped[Optional[datetime]] = mapped_column(DateTime)

    suspension_type: Mapped[Optional[str]] = mapped_column(String(2))  # TS / PS
    crs_reason_of_suspension: Mapped[Optional[str]] = mapped_column(String(3))  # payment (FP, PRA)
    crs_date_of_suspension: Mapped[Optional[datetime]] = mapped_column(DateTime)
    epr_reason_of_suspension: Mapped[Optional[str]] = mapped_column(String(3))  # ANS DBB OLD CLV APP
    epr_date_of_suspension: Mapped[Optional[datetime]] = mapped_column(DateTime)
    due_date_of_revival: Mapped[Optional[datetime]] = mapped_column(DateTime)

    atoms_flag: Mapped[Optional[str]] = mapped_column(String(1))
    an_flag: Mapped[Optional[str]] = mapped_column(String(1))
    ean_sent_flag: Mapped[Optional[str]] = mapped_column(String(1))
    ean_sent_timestamp: Mapped[Optional[datetime]] = mapped_column(DateTime)
    notification_method: Mapped[Optional[str]] = mapped_column(String(5))  # SMS EMAIL BOTH
    letter_sent_flag: Mapped[Optional[str]] = mapped_column(String(1))
    letter_sent_timestamp: Mapped[Optional[datetime]] = mapped_column(DateTime)
    slift_submission_id: Mapped[Optional[str]] = mapped_column(String(50))
    unqualified_list_sent_flag: Mapped[Optional[str]] = mapped_column(String(1))
    unqualified_list_sent_timestamp: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # OCMS 14 tab 4: Y while a furnished driver/hirer awaits approval (set on the internet notice at submission,
    # on the intranet notice by the furnish sync; cleared by approval or rejection).
    furnish_pending_flag: Mapped[Optional[str]] = mapped_column(String(1))

    @declared_attr.directive
    def __table_args__(cls):
        t = cls.__tablename__
        return (
            # BR-AN-QUAL-002 past offences, duplicate/DBB checks, VIP report.
            Index(f"ix_{t}_vehicle_no_notice_date", "vehicle_no", "notice_date_and_time"),
            # Stage-driven crons (TS-CLV, AN letters) and CPS search.
            Index(f"ix_{t}_last_stage_next_date", "last_processing_stage", "next_processing_date"),
            # Unqualified-AN cron: created in a date range.
            Index(f"ix_{t}_cre_date", "cre_date"),
            # Stage progression: notices whose next_processing_date has come.
            Index(f"ix_{t}_next_date", "next_processing_date"),
            # TS-OLD auto revival, TS-CLV re-apply: suspensions whose revival date has come.
            Index(f"ix_{t}_epr_reason_revival", "epr_reason_of_suspension", "due_date_of_revival"),
        )


class ValidOffenceNotice(NoticeColumns, Base):
    """A valid offence notice (intranet, ``ocms_valid_offence_notice``)."""

    __tablename__ = "ocms_valid_offence_notice"


class EValidOffenceNotice(NoticeColumns, Base):
    """Internet-zone mirror of a notice (``eocms_valid_offence_notice``)."""

    __tablename__ = "eocms_valid_offence_notice"


class OffenceNoticeDetail(AuditMixin, Base):
    """Offence details that are not needed for processing decisions."""

    __tablename__ = "ocms_offence_notice_detail"

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("ocms_valid_offence_notice.notice_no"), primary_key=True
    )
    _notice: Mapped["ValidOffenceNotice"] = inserted_after_notice()  # flush order only
    lot_no: Mapped[Optional[str]] = mapped_column(String(10))
    vehicle_make: Mapped[Optional[str]] = mapped_column(String(50))
    vehicle_model: Mapped[Optional[str]] = mapped_column(String(50))
    colour_of_vehicle: Mapped[Optional[str]] = mapped_column(String(20))
    road_tax_expiry_date: Mapped[Optional[date]] = mapped_column(Date)
    diplomatic_flag: Mapped[Optional[str]] = mapped_column(String(1))
    image_count: Mapped[Optional[int]] = mapped_column(Integer)
    remarks: Mapped[Optional[str]] = mapped_column(String(200))


class OffenceNoticeOwnerDriver(AuditMixin, Base):
    """An offender of a notice: owner (O), driver (D), hirer (H) or director (DIR).

    One row per notice and role; ``is_current = 'Y'`` marks the offender the
    notice is currently processed against.
    """

    __tablename__ = "ocms_offence_notice_owner_driver"
    __table_args__ = (Index("ix_ocms_offence_notice_owner_driver_id_no", "id_no"),)

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("ocms_valid_offence_notice.notice_no"), primary_key=True
    )
    owner_driver_indicator: Mapped[str] = mapped_column(String(3), primary_key=True)
    is_current: Mapped[str] = mapped_column(String(1), nullable=False, default="Y")
    id_type: Mapped[Optional[str]] = mapped_column(String(10))
    id_no: Mapped[Optional[str]] = mapped_column(String(20))
    name: Mapped[Optional[str]] = mapped_column(String(66))
    bldg_name: Mapped[Optional[str]] = mapped_column(String(65))
    street_name: Mapped[Optional[str]] = mapped_column(String(65))
    unit_no: Mapped[Optional[str]] = mapped_column(String(10))
    postal_code: Mapped[Optional[str]] = mapped_column(String(10))
    mobile_no: Mapped[Optional[str]] = mapped_column(String(20))
    email_addr: Mapped[Optional[str]] = mapped_column(String(320))
    mha_checked_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    is_deceased: Mapped[Optional[str]] = mapped_column(String(1))


class CourtCase(AuditMixin, Base):
    """Court case of a notice (CAS API 4 sets ``court_payment_due_date``)."""

    __tablename__ = "ocms_court_case"

    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("ocms_valid_offence_notice.notice_no"), primary_key=True
    )
    court_case_no: Mapped[Optional[str]] = mapped_column(String(30))
    court_date: Mapped[Optional[datetime]] = mapped_column(DateTime)
    court_payment_due_date: Mapped[Optional[date]] = mapped_column(Date)


class ChangeOfProcessing(CreatedMixin, Base):
    """Audit trail of a processing-stage change (OCMS 15 §9.2)."""

    __tablename__ = "ocms_change_of_processing"
    __table_args__ = (
        Index("ix_ocms_change_of_processing_notice_date", "notice_no", "date_of_change"),
        Index("ix_ocms_change_of_processing_date_of_change", "date_of_change"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_no: Mapped[str] = mapped_column(
        String(10), ForeignKey("ocms_valid_offence_notice.notice_no"), nullable=False
    )
    date_of_change: Mapped[date] = mapped_column(Date, nullable=False)
    last_processing_stage: Mapped[Optional[str]] = mapped_column(String(3))
    new_processing_stage: Mapped[str] = mapped_column(String(3), nullable=False)
    reason_of_change: Mapped[Optional[str]] = mapped_column(String(3))
    authorised_officer: Mapped[Optional[str]] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(10), nullable=False)  # OCMS / PLUS / SYSTEM
    remarks: Mapped[Optional[str]] = mapped_column(Text)
