"""The ANS report's rows: notices suspended PS-ANS in a date range (OCMS 10 §3.8, one query)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import SuspendedNotice, ValidOffenceNotice
from repository.queries import get_int_parameter

#: The report's columns (the spec's Excel columns, in order).
COLUMNS = ("Notice Number", "Vehicle Number", "Subsystem", "Suspension Date", "Revival Date", "Offense Code",
           "Composition Amount", "Notice Date", "Parking Place", "Suspension Remarks")

#: Used when ``REPORT_RANGE_DAYS/ANS`` is not in ocms_parameter.
DEFAULT_RANGE_DAYS = 31


@dataclass(frozen=True)
class AnsCriteria:
    """What the officer asked for: both dates inclusive; vehicle and subsystem optional."""

    date_from: dt.date
    date_to: dt.date
    vehicle_no: str | None = None
    subsystem: str | None = None

    def to_params(self) -> dict:
        return {"dateFrom": self.date_from.isoformat(), "dateTo": self.date_to.isoformat(),
                "vehicleNo": self.vehicle_no, "subsystem": self.subsystem}


@dataclass(frozen=True)
class AnsRow:
    """One suspended notice as the report shows it."""

    notice_no: str
    vehicle_no: str
    subsystem: str | None
    suspension_date: dt.datetime
    revival_date: dt.datetime | None
    offence_code: int
    composition_amount: Decimal
    notice_date: dt.datetime
    pp_code: str | None
    pp_name: str | None
    remarks: str | None

    @property
    def parking_place(self) -> str:
        """``pp_code - pp_name``, or whichever of the two is known."""
        return " - ".join(p for p in (self.pp_code, self.pp_name) if p)


def max_range_days(session: Session) -> int:
    """The longest report range in days (``REPORT_RANGE_DAYS/ANS``, 31)."""
    return get_int_parameter(session, "REPORT_RANGE_DAYS", "ANS", DEFAULT_RANGE_DAYS)


def ans_rows(session: Session, criteria: AnsCriteria) -> list[AnsRow]:
    """Every PS-ANS suspension dated in the range, joined to its notice, newest suspension first."""
    sn, von = SuspendedNotice, ValidOffenceNotice
    start = dt.datetime.combine(criteria.date_from, dt.time())
    end = dt.datetime.combine(criteria.date_to + dt.timedelta(days=1), dt.time())  # dateTo inclusive
    stmt = (
        select(sn.notice_no, von.vehicle_no, von.subsystem_label, sn.date_of_suspension, sn.due_date_of_revival,
               von.computer_rule_code, von.composition_amount, von.notice_date_and_time, von.pp_code, von.pp_name,
               sn.suspension_remarks)
        .join(von, sn.notice_no == von.notice_no)
        .where(sn.reason_of_suspension == "ANS", sn.date_of_suspension >= start, sn.date_of_suspension < end)
        .order_by(sn.date_of_suspension.desc(), sn.notice_no, sn.sr_no)
    )
    if criteria.vehicle_no:
        stmt = stmt.where(von.vehicle_no == criteria.vehicle_no)
    if criteria.subsystem:
        stmt = stmt.where(von.subsystem_label == criteria.subsystem)
    return [AnsRow(*r) for r in session.execute(stmt)]
