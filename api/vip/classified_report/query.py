"""The classified vehicle report's data (OCMS 14 tab 6 steps 2-11): three set-based queries, whatever the size.

* active VIP vehicles: ``ocms_vip_vehicle`` rows with status ACTIVE (the list CAS
  API 3 keeps, with label status and expiry date);
* Type V notices (step 5): every notice whose vehicle is an active VIP vehicle
  (the spec's ``vehicle_no IN (:vip_vehicle_numbers)``, as a subquery: no list
  of numbers is sent to the database), with ``pp_name`` from ``ocms_carpark``
  (LEFT JOIN; the notice's own pp_name when the car park is unknown). Payment
  status (step 10-11): Outstanding when ``crs_reason_of_suspension`` IS NULL,
  otherwise Settled; the summary counts both in the same aggregate query;
* amended notices V→S: notices now of type S with a revived TS-CLV suspension,
  one row per notice - its latest revived CLV suspension (a looping TS-CLV
  leaves several).

Step 8 (current offender details) feeds no column of the report: it is not
queried.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from repository.models import Carpark, SuspendedNotice, ValidOffenceNotice, VipVehicle

ACTIVE = "ACTIVE"
OUTSTANDING, SETTLED = "Outstanding", "Settled"


@dataclass(frozen=True)
class Summary:
    """Sheet 1's counts."""

    active_vehicles: int
    total: int
    outstanding: int
    amended: int

    @property
    def settled(self) -> int:
        """Step 11: total − outstanding."""
        return self.total - self.outstanding


@dataclass(frozen=True)
class NoticeRow:
    """One row of sheet 2 (Type V Notices Detail)."""

    notice_no: str
    vehicle_no: str
    notice_date: dt.datetime
    offence_code: int
    place: str | None
    composition_amount: Decimal
    amount_payable: Decimal | None
    payment_status: str
    suspension_type: str | None
    suspension_reason: str | None


@dataclass(frozen=True)
class AmendedRow:
    """One row of sheet 3 (Amended Notices V→S)."""

    notice_no: str
    vehicle_no: str
    notice_date: dt.datetime
    suspension_date: dt.datetime
    revival_date: dt.datetime
    place: str | None
    composition_amount: Decimal
    amount_payable: Decimal | None


def _active_vehicle_numbers():
    return select(VipVehicle.vehicle_no).where(VipVehicle.status == ACTIVE)


def _place():
    return func.coalesce(Carpark.pp_name, ValidOffenceNotice.pp_name)


def _amended_ranked():
    V, S = ValidOffenceNotice, SuspendedNotice
    rank = func.row_number().over(partition_by=S.notice_no,
                                  order_by=(S.date_of_suspension.desc(), S.sr_no.desc())).label("rank")
    return (select(V.notice_no, V.vehicle_no, V.notice_date_and_time, S.date_of_suspension, S.date_of_revival,
                   _place().label("place"), V.composition_amount, V.amount_payable, rank)
            .join(S, S.notice_no == V.notice_no)
            .outerjoin(Carpark, Carpark.pp_code == V.pp_code)
            .where(S.reason_of_suspension == "CLV", S.date_of_revival.is_not(None),
                   V.vehicle_registration_type == "S")
            .subquery())


def summary(session: Session) -> Summary:
    """The counts of sheet 1: two aggregate queries (notices; amended notices) and one count of vehicles."""
    V = ValidOffenceNotice
    total, outstanding = session.execute(
        select(func.count(), func.coalesce(func.sum(case((V.crs_reason_of_suspension.is_(None), 1), else_=0)), 0))
        .where(V.vehicle_no.in_(_active_vehicle_numbers()))).one()
    ranked = _amended_ranked()
    amended = session.scalar(select(func.count()).select_from(ranked).where(ranked.c.rank == 1))
    vehicles = session.scalar(select(func.count()).select_from(VipVehicle).where(VipVehicle.status == ACTIVE))
    return Summary(int(vehicles or 0), int(total or 0), int(outstanding or 0), int(amended or 0))


def type_v_notices(session: Session, chunk: int = 5000) -> Iterator[NoticeRow]:
    """Sheet 2's rows, by vehicle then notice date, streamed from one query."""
    V = ValidOffenceNotice
    stmt = (select(V.notice_no, V.vehicle_no, V.notice_date_and_time, V.computer_rule_code, _place(),
                   V.composition_amount, V.amount_payable, V.crs_reason_of_suspension, V.suspension_type,
                   V.epr_reason_of_suspension)
            .outerjoin(Carpark, Carpark.pp_code == V.pp_code)
            .where(V.vehicle_no.in_(_active_vehicle_numbers()))
            .order_by(V.vehicle_no, V.notice_date_and_time, V.notice_no)
            .execution_options(yield_per=chunk))
    for r in session.execute(stmt):
        yield NoticeRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], OUTSTANDING if r[7] is None else SETTLED, r[8], r[9])


def amended_notices(session: Session, chunk: int = 5000) -> Iterator[AmendedRow]:
    """Sheet 3's rows, by notice date, streamed from one query."""
    ranked = _amended_ranked()
    stmt = (select(ranked.c.notice_no, ranked.c.vehicle_no, ranked.c.notice_date_and_time,
                   ranked.c.date_of_suspension, ranked.c.date_of_revival, ranked.c.place,
                   ranked.c.composition_amount, ranked.c.amount_payable)
            .where(ranked.c.rank == 1).order_by(ranked.c.notice_date_and_time, ranked.c.notice_no)
            .execution_options(yield_per=chunk))
    for r in session.execute(stmt):
        yield AmendedRow(*r)


__all__ = ["ACTIVE", "AmendedRow", "NoticeRow", "OUTSTANDING", "SETTLED", "Summary", "amended_notices", "summary",
           "type_v_notices"]
