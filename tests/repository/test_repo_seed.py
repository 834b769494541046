"""Reference and demo seed data: counts, coverage, idempotence, reproducibility."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from repository.db import make_session_factory
from repository.demo_rows import SHOWCASE, build_demo_rows
from repository.identity import is_generated_format, normalise_vehicle_no
from repository.migrate import delete_all_rows
from repository.models import (
    ChangeOfProcessing,
    CourtCase,
    EValidOffenceNotice,
    ESuspendedNotice,
    OffenceNoticeDetail,
    OffenceNoticeOwnerDriver,
    OffenceRuleCode,
    Parameter,
    StageMap,
    SuspendedNotice,
    ValidOffenceNotice,
    VipVehicle,
)
from repository.queries import get_int_parameter, get_parameter
from repository.seed import is_demo_seeded, seed_demo, seed_reference, table_counts
from repository.seed_data import PARAMETERS, RULE_CODES, STAGES, stage_map_pairs

TODAY = date(2026, 11, 23)
GENERATED = 3000
NOTICES = GENERATED + len(SHOWCASE)  # the generated set and the README's showcase notices


def values(session, column) -> set:
    return set(session.scalars(select(column).distinct()))


def test_seed_reference_is_idempotent(session):
    first = seed_reference(session)
    session.commit()
    assert first == {
        "ocms_parameter": len(PARAMETERS),
        "ocms_offence_rule_code": len(RULE_CODES),
        "ocms_stage_map": len(stage_map_pairs()),
    }
    assert set(seed_reference(session).values()) == {0}
    assert session.scalar(select(func.count()).select_from(Parameter)) == len(PARAMETERS)


def test_seed_reference_keeps_edited_rows_and_adds_missing(session):
    seed_reference(session)
    row = session.get(Parameter, ("REVIVAL_DAYS", "ANS"))
    row.value = "45"
    session.delete(session.get(OffenceRuleCode, 20412))
    session.commit()
    added = seed_reference(session)
    assert added["ocms_offence_rule_code"] == 1 and added["ocms_parameter"] == 0
    assert get_parameter(session, "REVIVAL_DAYS", "ANS") == "45"


def test_reference_values_from_the_specs(session):
    seed_reference(session)
    assert get_int_parameter(session, "REVIVAL_DAYS", "ANS") == 30
    assert get_int_parameter(session, "REVIVAL_DAYS", "OLD") == 21
    assert get_int_parameter(session, "REPORT_RANGE_DAYS", "ANS") == 31
    assert get_int_parameter(session, "REPORT_RANGE_DAYS", "CPS") == 90
    assert get_parameter(session, "NEXT_STAGE", "RR3") == "CPC"
    assert get_int_parameter(session, "AN_QUALIFICATION", "PAST_OFFENCE_MONTHS") == 24
    # switches that live in the rulesets are not seeded (a seeded copy would mask the YAML)
    assert get_parameter(session, "AN_QUALIFICATION", "SAME_DAY_CHECK") is None
    assert get_parameter(session, "CPS", "PS_BLOCK") is None
    assert {20412, 11210} <= values(session, OffenceRuleCode.computer_rule_code)
    assert session.get(StageMap, ("RD1", "RD2")) is not None


def test_demo_rows_are_reproducible():
    a = build_demo_rows(7, 200, TODAY).rows
    b = build_demo_rows(7, 200, TODAY).rows
    c = build_demo_rows(8, 200, TODAY).rows
    assert a[ValidOffenceNotice] == b[ValidOffenceNotice]
    assert a[SuspendedNotice] == b[SuspendedNotice]
    assert a[ValidOffenceNotice] != c[ValidOffenceNotice]


@pytest.fixture(scope="module")
def seeded(engine):
    """Seed the demo set once for this module; yields (first counts, second counts, session)."""
    delete_all_rows(engine)
    factory = make_session_factory(engine)
    with factory() as s:
        first = seed_demo(s, notices=GENERATED, today=TODAY)
        s.commit()
    with factory() as s:
        second = seed_demo(s, notices=GENERATED, today=TODAY)
        s.commit()
    session = factory()
    yield first, second, session
    session.close()
    delete_all_rows(engine)


def test_seed_demo_counts(seeded):
    first, _second, session = seeded
    assert first["ocms_valid_offence_notice"] == NOTICES
    assert first["eocms_valid_offence_notice"] == NOTICES
    assert first["ocms_offence_notice_detail"] == NOTICES
    assert first["ocms_suspended_notice"] == first["eocms_suspended_notice"] > 0
    assert first["ocms_court_case"] > 0 and first["ocms_vip_vehicle"] > 0
    assert first["ocms_furnish_application"] > 0 and first["ocms_change_of_processing"] > 0
    assert first["ocms_ean_notification_log"] + first["ocms_an_letter_log"] > 0
    actual = table_counts(session)
    for table, count in actual.items():
        assert first[table] == count, table


def test_seed_demo_is_idempotent(seeded):
    first, second, session = seeded
    assert is_demo_seeded(session)
    assert set(second.values()) == {0}
    assert session.scalar(select(func.count()).select_from(ValidOffenceNotice)) == NOTICES


def test_every_stage_appears(seeded):
    session = seeded[2]
    assert values(session, ValidOffenceNotice.last_processing_stage) == set(STAGES)


def test_demo_covers_types_roles_and_suspensions(seeded):
    session = seeded[2]
    assert values(session, ValidOffenceNotice.offence_notice_type) == {"O", "E", "U"}
    assert {"S", "D", "V", "I", "F"} <= values(session, ValidOffenceNotice.vehicle_registration_type)
    assert values(session, OffenceNoticeOwnerDriver.owner_driver_indicator) == {"O", "D", "H", "DIR"}
    reasons = {tuple(r) for r in session.execute(select(SuspendedNotice.suspension_type, SuspendedNotice.reason_of_suspension))}
    assert {("PS", "ANS"), ("PS", "DBB"), ("TS", "OLD"), ("TS", "CLV"), ("PS", "FP"), ("PS", "PRA"),
            ("TS", "APP")} <= reasons
    paid = session.scalar(select(func.count()).where(ValidOffenceNotice.crs_reason_of_suspension.is_not(None)))
    unpaid = session.scalar(select(func.count()).where(ValidOffenceNotice.crs_reason_of_suspension.is_(None)))
    assert paid > 0 and unpaid > paid
    assert session.scalar(select(func.count()).where(ValidOffenceNotice.an_flag == "Y")) > 0


def test_demo_ts_clv_notices_are_held_at_cpc_as_the_spec_writes(seeded):
    """Issue 13 review item 10: OCMS 14 tab 5's UPDATE sets next stage CSD and next_processing_date NULL."""
    session = seeded[2]
    V = ValidOffenceNotice
    rows = session.execute(select(V.last_processing_stage, V.next_processing_stage, V.next_processing_date).where(
        V.suspension_type == "TS", V.epr_reason_of_suspension == "CLV")).all()
    assert rows and all(r == ("CPC", "CSD", None) for r in rows), rows[:5]


def test_demo_is_consistent(seeded):
    session = seeded[2]
    # Every notice has its detail and internet mirror.
    assert session.scalar(select(func.count()).select_from(OffenceNoticeDetail)) == NOTICES
    assert session.scalar(select(func.count()).select_from(EValidOffenceNotice)) == NOTICES
    assert session.scalar(select(func.count()).select_from(ESuspendedNotice)) == session.scalar(
        select(func.count()).select_from(SuspendedNotice))
    # Type-V notices use VIP vehicles; each notice's suspension fields match a suspension row.
    vip = values(session, VipVehicle.vehicle_no)
    v_vehicles = set(session.scalars(select(ValidOffenceNotice.vehicle_no).where(
        ValidOffenceNotice.vehicle_registration_type == "V")))
    assert v_vehicles and v_vehicles <= vip
    unmatched = session.scalar(
        select(func.count()).select_from(ValidOffenceNotice).where(
            ValidOffenceNotice.epr_reason_of_suspension.is_not(None),
            ~select(SuspendedNotice.notice_no).where(
                SuspendedNotice.notice_no == ValidOffenceNotice.notice_no,
                SuspendedNotice.reason_of_suspension == ValidOffenceNotice.epr_reason_of_suspension,
            ).exists(),
        )
    )
    assert unmatched == 0
    # At most one current offender per notice; court cases only at court stages.
    per_notice = select(OffenceNoticeOwnerDriver.notice_no).where(
        OffenceNoticeOwnerDriver.is_current == "Y").group_by(OffenceNoticeOwnerDriver.notice_no).having(
        func.count() > 1)
    assert session.scalars(per_notice).first() is None
    court_stages = set(session.scalars(select(ValidOffenceNotice.last_processing_stage).distinct().join(
        CourtCase, CourtCase.notice_no == ValidOffenceNotice.notice_no)))
    assert court_stages <= {"CPC", "CFC", "CSD", "CSR", "CRT", "CRC", "CFI"}
    assert session.scalar(select(func.count()).select_from(ChangeOfProcessing)) > 0


def test_demo_notice_numbers_have_their_check_letter_and_vehicles_are_normalised(seeded):
    session = seeded[2]
    numbers = set(session.scalars(select(ValidOffenceNotice.notice_no)))
    assert numbers and all(is_generated_format(n) for n in numbers), sorted(n for n in numbers
                                                                            if not is_generated_format(n))[:5]
    assert "O" not in {n[-1] for n in numbers}
    vehicles = set(session.scalars(select(ValidOffenceNotice.vehicle_no)))
    assert all(normalise_vehicle_no(v) == v for v in vehicles)


def test_demo_holds_the_readme_showcase(seeded):
    session = seeded[2]
    got = {n.notice_no: n for n in session.scalars(select(ValidOffenceNotice).where(
        ValidOffenceNotice.notice_no.in_(list(SHOWCASE))))}
    assert set(got) == set(SHOWCASE)
    assert (got["500400058V"].suspension_type, got["500400058V"].epr_reason_of_suspension) == ("TS", "APP")
    assert got["500400059W"].crs_reason_of_suspension == "FP" and got["500400061P"].crs_reason_of_suspension is None
    assert got["500400060N"].last_processing_stage == "CSR" and got["500400063R"].last_processing_stage == "CRT"
    assert {got[n].last_processing_stage for n in ("500400065T", "500400066V", "500400067W")} == {"ROV"}
    [change] = session.scalars(select(ChangeOfProcessing).where(ChangeOfProcessing.notice_no == "500400067W")).all()
    assert (change.date_of_change, change.source) == (TODAY, "OCMS")
    ans = session.scalars(select(SuspendedNotice).where(SuspendedNotice.notice_no == "500400069Y")).one()
    assert ans.reason_of_suspension == "ANS" and ans.date_of_suspension.date() == TODAY.replace(day=TODAY.day - 1)
    owners = session.scalars(select(OffenceNoticeOwnerDriver.notice_no).where(
        OffenceNoticeOwnerDriver.notice_no.in_(["500400062Q", "500400064S"]), OffenceNoticeOwnerDriver.is_current == "Y"))
    assert sorted(owners) == ["500400062Q", "500400064S"]


@pytest.mark.parametrize("intranet, internet, key", [
    ("ocms_valid_offence_notice", "eocms_valid_offence_notice", ("notice_no",)),
    ("ocms_suspended_notice", "eocms_suspended_notice", ("notice_no", "date_of_suspension", "sr_no")),
    ("ocms_furnish_application", "eocms_furnish_application", ("application_id",)),
])
def test_every_internet_mirror_agrees_with_its_intranet_row(seeded, intranet, internet, key):
    """The eService reads only the mirrors: for every seeded row (showcase and generated), every column the two
    tables share holds the same value (a mirror taken before a suspension or payment was set said 'unpaid')."""
    from sqlalchemy import MetaData, Table
    session = seeded[2]
    meta = MetaData()
    i_t, e_t = (Table(n, meta, autoload_with=session.get_bind()) for n in (intranet, internet))
    shared = [c for c in i_t.columns.keys() if c in e_t.columns]
    assert {"payment_status", "suspension_type", "crs_reason_of_suspension"} <= set(shared) or intranet != (
        "ocms_valid_offence_notice")

    def rows(t):
        return {tuple(r[k] for k in key): r for r in session.execute(select(*(t.c[c] for c in shared))).mappings()}

    a, b = rows(i_t), rows(e_t)
    assert a and sorted(a) == sorted(b)
    differ = [(k, c, a[k][c], b[k][c]) for k in sorted(a) for c in shared if a[k][c] != b[k][c]]
    assert differ == [], differ[:10]


def test_the_showcase_paid_notice_is_paid_on_the_internet_too(seeded):
    session = seeded[2]
    e = session.get(EValidOffenceNotice, "500400059W")
    assert (e.payment_status, e.suspension_type, e.crs_reason_of_suspension) == ("PAID", "PS", "FP")


def test_demo_an_notifications_are_as_the_flow_leaves_them(seeded):
    """Every notified AN has its DONE work row; every review item is an AN_* item of a work row in REVIEW, linked
    both ways (so the review endpoints show it); letter paths are relative to the letter store, like the job's."""
    import re

    from repository.models import AnLetterLog, AnNotification, ManualReviewQueue
    session = seeded[2]
    notified = set(session.scalars(select(ValidOffenceNotice.notice_no).where(
        (ValidOffenceNotice.ean_sent_flag == "Y") | (ValidOffenceNotice.letter_sent_flag == "Y"))))
    done = {w.notice_no: w for w in session.scalars(select(AnNotification).where(AnNotification.status == "DONE"))}
    assert notified and set(done) == notified
    assert all(w.ps_ans_applied == "Y" and "SUCCESS" in (w.sms_result, w.email_result, w.letter_result)
               for w in done.values())
    reviews = session.scalars(select(ManualReviewQueue)).all()
    assert sorted(q.review_type for q in reviews) == ["AN_LTA_FAILED", "AN_MHA_NO_ADDRESS", "AN_SLIFT_FAILED"]
    for q in reviews:
        (w,) = session.scalars(select(AnNotification).where(AnNotification.notice_no == q.notice_no)).all()
        assert (w.status, w.review_id, q.details["workId"], q.status) == ("REVIEW", q.id, w.id, "OPEN")
        n = session.get(ValidOffenceNotice, q.notice_no)
        assert (n.an_flag, n.suspension_type, n.ean_sent_flag, n.letter_sent_flag) == ("Y", None, None, None)
    paths = session.execute(select(AnLetterLog.notice_no, AnLetterLog.letter_file_path, AnLetterLog.cre_date)).all()
    assert paths and all(p == f"{when:%Y%m%d}/{no}.pdf" and re.fullmatch(r"\d{8}/\w{10}\.pdf", p)
                         for no, p, when in paths), paths[:3]
