"""Fixtures of the VIP area: an app with every caller's key on seeded reference data, row helpers."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

KEYS = {"repccs": "repccs-test-key", "ces": "ces-test-key", "cas": "cas-test-key", "admin": "admin-test-key"}


@pytest.fixture
def vip_app(make_app):
    from api.database import get_db
    from repository.seed import seed_reference
    app = make_app(OCMS_API_KEYS=dict(KEYS))
    with get_db(app).unit_of_work() as uow:
        seed_reference(uow.session)
        uow.commit()
    return app


@pytest.fixture
def vdb(vip_app):
    from api.database import get_db
    return get_db(vip_app)


@pytest.fixture
def registry(vip_app):
    from api.decisions.service import get_rules
    return get_rules(vip_app).registry


def notice_row(notice_no: str, vehicle_no: str = "VIP1234A", vtype: str = "V", **cols) -> dict:
    """A notice row (columns of ocms_valid_offence_notice) with sensible defaults."""
    row = {"notice_no": notice_no, "vehicle_no": vehicle_no, "notice_date_and_time": dt.datetime(2026, 1, 5, 9, 0),
           "offence_notice_type": "O", "vehicle_registration_type": vtype, "computer_rule_code": 10100,
           "composition_amount": Decimal("70.00"), "amount_payable": Decimal("70.00"), "an_flag": "N",
           "payment_acceptance_allowed": "Y", "cre_user_id": "test", "cre_date": dt.datetime(2026, 1, 5, 9, 1)}
    row.update(cols)
    return row


def insert_notices(db, rows: list[dict], mirror: bool = True) -> None:
    from sqlalchemy import insert

    from repository.models import EValidOffenceNotice, ValidOffenceNotice
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), rows)
        if mirror:
            uow.session.execute(insert(EValidOffenceNotice), rows)
        uow.commit()


def get(db, model, *key):
    with db.session() as s:
        row = s.get(model, key if len(key) > 1 else key[0])
        if row is not None:
            s.expunge(row)
        return row


def all_rows(db, model, **where) -> list:
    with db.session() as s:
        out = list(s.scalars(select(model).filter_by(**where)))
        for r in out:
            s.expunge(r)
        return out
