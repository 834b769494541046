"""Reference data: parameters, offence rule codes, car parks, VIP vehicles,
the stage map and the eNotification exclusion list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Optional

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AuditMixin, Base


class Parameter(AuditMixin, Base):
    """An analyst-editable setting: ``(parameter_id, code) -> value``.

    ``parameter_id`` names the setting family and ``code`` the key inside it;
    e.g. OCMS 15's ``NEXT_STAGE_{stage}`` is the row ``('NEXT_STAGE', stage)``
    and ``STAGEDAYS`` of a stage is ``('STAGEDAYS', stage)``.
    """

    __tablename__ = "ocms_parameter"

    parameter_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(String(200))


class OffenceRuleCode(AuditMixin, Base):
    """An offence rule code (CES validates ``computer_rule_code`` against it)."""

    __tablename__ = "ocms_offence_rule_code"

    computer_rule_code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rule_description: Mapped[str] = mapped_column(String(200), nullable=False)
    composition_amount: Mapped[Optional[Decimal]]
    offence_notice_type: Mapped[Optional[str]] = mapped_column(String(1))
    effective_from: Mapped[Optional[date]] = mapped_column(Date)
    effective_to: Mapped[Optional[date]] = mapped_column(Date)


class Carpark(AuditMixin, Base):
    """A car park / parking place (``pp_code``, ``pp_name``)."""

    __tablename__ = "ocms_carpark"

    pp_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    pp_name: Mapped[str] = mapped_column(String(100), nullable=False)
    address: Mapped[Optional[str]] = mapped_column(String(200))
    carpark_type: Mapped[Optional[str]] = mapped_column(String(20))


class VipVehicle(AuditMixin, Base):
    """A VIP vehicle, refreshed daily from CAS (CAS API 3)."""

    __tablename__ = "ocms_vip_vehicle"

    vehicle_no: Mapped[str] = mapped_column(String(14), primary_key=True)
    vip_vehicle: Mapped[Optional[str]] = mapped_column(String(1))
    description: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # ACTIVE / INACTIVE
    vip_label_status: Mapped[Optional[str]] = mapped_column(String(10))
    label_expiry_date: Mapped[Optional[date]] = mapped_column(Date)


class StageMap(AuditMixin, Base):
    """An allowed processing-stage transition (OCMS 15 ``ocms_stage_map``)."""

    __tablename__ = "ocms_stage_map"

    last_processing_stage: Mapped[str] = mapped_column(String(3), primary_key=True)
    next_processing_stage: Mapped[str] = mapped_column(String(3), primary_key=True)
    description: Mapped[Optional[str]] = mapped_column(String(200))


class ENotificationExclusion(AuditMixin, Base):
    """An owner (NRIC/FIN) who must not receive eNotifications (OCMS 10 §3.4)."""

    __tablename__ = "ocms_enotification_exclusion_list"

    id_no: Mapped[str] = mapped_column(String(20), primary_key=True)
    id_type: Mapped[Optional[str]] = mapped_column(String(10))
    reason: Mapped[Optional[str]] = mapped_column(String(200))
