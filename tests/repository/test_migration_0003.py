"""Migration 0003 (conformance): rows stored before issue 11 are normalised; collisions are reported, never merged."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from .test_repo_migrations import head
from sqlalchemy import insert, select, text

from repository.migrate import current_revision, delete_all_rows, downgrade, upgrade
from repository.models import (
    ChangeOfProcessing, CourtCase, DecisionLog, EanNotificationLog, ESuspendedNotice, EValidOffenceNotice,
    ManualReviewQueue, OffenceNoticeDetail, OffenceNoticeOwnerDriver, SuspendedNotice, ValidOffenceNotice,
    VipVehicle,
)

WHEN = dt.datetime(2026, 1, 15, 10, 30)


def _notice(no: str, **kw) -> dict:
    return {"notice_no": no, "vehicle_no": kw.pop("vehicle_no", "SBA1234A"), "notice_date_and_time": WHEN,
            "offence_notice_type": kw.pop("offence_notice_type", "O"), "computer_rule_code": 10100,
            "composition_amount": Decimal("50.00"), "cre_date": WHEN, "cre_user_id": "t", **kw}


@pytest.fixture
def at_0001(engine):
    """The schema before this branch's migration, empty; migrated to head and emptied afterwards."""
    delete_all_rows(engine)
    downgrade(engine, "0002")
    yield engine
    upgrade(engine)
    delete_all_rows(engine)


def _insert(engine, model, rows):
    with engine.begin() as c:
        for row in rows:  # one by one: executemany takes its columns from the first row
            c.execute(insert(model), [row])


def _all(engine, model, *cols):
    with engine.connect() as c:
        return sorted(tuple(r) for r in c.execute(select(*[getattr(model, x) for x in cols])))


def test_rows_are_normalised_and_collisions_reported(at_0001, db_url):
    engine = at_0001
    lower = "500400058a"
    _insert(engine, ValidOffenceNotice, [
        _notice(lower, vehicle_no="szz 7001a", offence_notice_type="o", vehicle_category="lb",
                last_processing_stage="rd1", an_flag="y"),
        _notice("500400059b"), _notice("500400059B"),                      # one notice twice: a collision
        _notice(" 40060C", vehicle_no="\tSBB 1A "),
        _notice("500400061D", vehicle_no="SCC1A"),                         # already normal: untouched
    ])
    _insert(engine, EValidOffenceNotice, [_notice(lower, vehicle_no="szz 7001a"), _notice("500400059b")])
    _insert(engine, OffenceNoticeDetail, [{"notice_no": lower, "cre_date": WHEN, "cre_user_id": "t"}])
    _insert(engine, OffenceNoticeOwnerDriver, [{"notice_no": lower, "owner_driver_indicator": "O", "is_current": "Y",
                                                "cre_date": WHEN, "cre_user_id": "t"}])
    _insert(engine, CourtCase, [{"notice_no": lower, "cre_date": WHEN, "cre_user_id": "t"}])
    _insert(engine, ChangeOfProcessing, [{"notice_no": lower, "date_of_change": WHEN.date(), "new_processing_stage": "rd2",
                                          "source": "ocms", "cre_date": WHEN, "cre_user_id": "t"}])
    for model in (SuspendedNotice, ESuspendedNotice):
        _insert(engine, model, [{"notice_no": lower, "date_of_suspension": WHEN, "sr_no": 1, "suspension_type": "ps",
                                 "reason_of_suspension": "ans", "cre_date": WHEN, "cre_user_id": "t"}])
    _insert(engine, EanNotificationLog, [{"notice_no": lower, "channel": "SMS", "status": "SUCCESS", "cre_date": WHEN,
                                          "cre_user_id": "t"}])
    _insert(engine, DecisionLog, [{"decided_at": WHEN, "ruleset": "an_qualification", "subject": lower,
                                   "dry_run": False}])
    _insert(engine, VipVehicle, [{"vehicle_no": v, "status": "active", "cre_date": WHEN, "cre_user_id": "t"}
                                 for v in ("sjv1a", "sjv2b", "SJV2B", "SJV3C")])

    upgrade(engine)
    assert current_revision(db_url) == head()

    new = "500400058A"
    assert _all(engine, ValidOffenceNotice, "notice_no", "vehicle_no") == sorted([
        ("500400059B", "SBA1234A"), ("500400059b", "SBA1234A"), ("40060C", "SBB1A"), ("500400061D", "SCC1A"),
        (new, "SZZ7001A")])
    with engine.connect() as c:
        row = c.execute(select(ValidOffenceNotice).where(ValidOffenceNotice.notice_no == new)).one()._mapping
        assert (row["offence_notice_type"], row["vehicle_category"], row["last_processing_stage"], row["an_flag"]) == \
            ("O", "LB", "RD1", "Y")
        assert row["cre_date"] == WHEN  # the copy kept every column
    assert _all(engine, EValidOffenceNotice, "notice_no", "vehicle_no") == sorted([("500400059b", "SBA1234A"),
                                                                                   (new, "SZZ7001A")])
    for model in (OffenceNoticeDetail, OffenceNoticeOwnerDriver, CourtCase, EanNotificationLog):
        assert _all(engine, model, "notice_no") == [(new,)], model.__name__
    assert _all(engine, ChangeOfProcessing, "notice_no", "new_processing_stage", "source") == [(new, "RD2", "OCMS")]
    for model in (SuspendedNotice, ESuspendedNotice):
        assert _all(engine, model, "notice_no", "suspension_type", "reason_of_suspension") == [(new, "PS", "ANS")]
    assert _all(engine, DecisionLog, "subject") == [(new,)]
    assert _all(engine, VipVehicle, "vehicle_no", "status") == [("SJV1A", "ACTIVE"), ("SJV2B", "ACTIVE"),
                                                                ("SJV3C", "ACTIVE"), ("sjv2b", "ACTIVE")]

    with engine.connect() as c:
        reviews = {r.review_type: r for r in c.execute(select(ManualReviewQueue))}
    assert set(reviews) == {"NOTICE_NO_COLLISION", "VIP_VEHICLE_COLLISION"}
    notice_review = reviews["NOTICE_NO_COLLISION"]
    details = notice_review.details if isinstance(notice_review.details, dict) else json.loads(notice_review.details)
    assert notice_review.notice_no == "500400059B" and notice_review.status == "OPEN"
    assert details["rows"] == ["500400059B", "500400059b"] and details["normalised"] == "500400059B"
    vip = reviews["VIP_VEHICLE_COLLISION"]
    vip_details = vip.details if isinstance(vip.details, dict) else json.loads(vip.details)
    assert vip_details["rows"] == ["SJV2B", "sjv2b"]


def test_an_empty_or_clean_database_is_unchanged(at_0001):
    engine = at_0001
    _insert(engine, ValidOffenceNotice, [_notice("500400061D", vehicle_no="SCC1A")])
    upgrade(engine)
    assert _all(engine, ValidOffenceNotice, "notice_no", "vehicle_no") == [("500400061D", "SCC1A")]
    with engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM ocms_manual_review_queue")) == 0
