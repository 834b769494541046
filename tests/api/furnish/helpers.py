"""Rows and requests the furnish tests share."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select

from repository.models import (
    EValidOffenceNotice,
    OffenceNoticeOwnerDriver,
    ValidOffenceNotice,
)

OWNER_NRIC = "S7654321I"   # not a furnished person in any test
URL = "/v1/eservice/furnishApplication"


def notice_row(notice_no: str, stage: str = "RD1", **overrides) -> dict:
    row = {
        "notice_no": notice_no, "vehicle_no": "SBA1234A", "notice_date_and_time": dt.datetime(2026, 1, 5, 8, 30),
        "offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100,
        "composition_amount": Decimal("70.00"), "amount_payable": Decimal("70.00"),
        "prev_processing_stage": "ROV", "prev_processing_date": dt.datetime(2026, 1, 8),
        "last_processing_stage": stage, "last_processing_date": dt.datetime(2026, 1, 10),
        "next_processing_stage": "RD2", "next_processing_date": dt.datetime(2026, 1, 31),
        "offender_name": "OWNER OF THE CAR",
        "cre_date": dt.datetime(2026, 1, 5, 8, 31), "cre_user_id": "test",
    }
    row.update(overrides)
    return row


def seed_notices(db, *rows: dict, owner: bool = True, offenders: list[dict] | None = None) -> None:
    """Insert each notice with its internet mirror and (default) a current owner."""
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), list(rows))
        uow.session.execute(insert(EValidOffenceNotice), list(rows))
        people = list(offenders or [])
        if owner:
            people += [{"notice_no": r["notice_no"], "owner_driver_indicator": "O", "is_current": "Y",
                        "id_type": "NRIC", "id_no": OWNER_NRIC, "name": "OWNER OF THE CAR",
                        "cre_date": dt.datetime(2026, 1, 6), "cre_user_id": "test"} for r in rows]
        if people:
            uow.session.execute(insert(OffenceNoticeOwnerDriver), people)
        uow.commit()


def body(notice_no: str = "500500303J", furnish_type: str = "DRIVER", id_type: str = "NRIC",
         id_number: str = "S1234567D", name: str = "JOHN DOE", contact: str = "91234567", **extra) -> dict:
    return {"noticeNo": notice_no, "furnishType": furnish_type,
            "particulars": {"idType": id_type, "idNumber": id_number, "name": name, "contactNo": contact, **extra}}


def table(db, model, **where) -> list:
    """Rows of ``model`` (as mappings), filtered by equality, in key order."""
    t = model.__table__
    stmt = select(t).where(*(t.c[k] == v for k, v in where.items())).order_by(*t.primary_key.columns)
    with db.engine.connect() as c:
        return [dict(r) for r in c.execute(stmt).mappings()]
