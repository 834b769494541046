"""The an-notifications flow against the six systems on loopback (OCMS 10 §3.4-3.7), SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from repository.models import (
    AnLetterLog,
    EanNotificationLog,
    ESuspendedNotice,
    EValidOffenceNotice,
    ManualReviewQueue,
    OffenceNoticeOwnerDriver,
    SuspendedNotice,
)
from simulators.people import nric_for

from .conftest import notice, notice_row, qualified, rows, run, work


def test_both_channels_sms_then_email_then_ps_ans(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000001A", "SBA1234A")])
    nric = nric_for("SBA1234A")
    systems.datahive.set_contact(nric, mobile="91234567", email="tan@example.com")
    counts = run(ndb, registry, systems, napp)
    assert counts["done"] == 1 and counts["psAns"] == 1
    w = work(ndb, no)
    assert (w.status, w.owner_result, w.contact_result, w.sms_result, w.email_result, w.ps_ans_applied) == \
        ("DONE", "FOUND", "FOUND", "SUCCESS", "SUCCESS", "Y")
    (owner,) = rows(ndb, OffenceNoticeOwnerDriver, notice_no=no)
    assert (owner.owner_driver_indicator, owner.is_current, owner.id_no, owner.mobile_no) == ("O", "Y", nric, "91234567")
    assert [m["to"] for m in systems.sms.sent] == ["91234567"]
    assert [m["to"] for m in systems.email.sent] == ["tan@example.com"]
    assert systems.sms.sent[0]["message"] == (
        "Advisory Notice 700000001A\nOffense: " + systems.sms.sent[0]["message"].split("\n")[1][9:] +
        "\nLocation: Ang Mo Kio Ave 3 Car Park\nDate: 14 Jan 2026\nAmount: $70.00\n"
        "Payment not accepted. You may appeal via OCMS portal.")
    assert systems.email.sent[0]["subject"] == "Advisory Notice 700000001A - SBA1234A"
    n = notice(ndb, no)
    assert (n.ean_sent_flag, n.notification_method, n.suspension_type, n.epr_reason_of_suspension) == \
        ("Y", "BOTH", "PS", "ANS")
    assert n.due_date_of_revival - n.epr_date_of_suspension == __import__("datetime").timedelta(days=30)
    (m,) = rows(ndb, EValidOffenceNotice, notice_no=no)
    assert (m.ean_sent_flag, m.notification_method, m.epr_reason_of_suspension) == ("Y", "BOTH", "ANS")
    (s,) = rows(ndb, SuspendedNotice, notice_no=no)
    assert (s.sr_no, s.suspension_type, s.reason_of_suspension, s.suspension_remarks) == \
        (1, "PS", "ANS", "Advisory Notice detected - qualified AN")
    assert len(rows(ndb, ESuspendedNotice, notice_no=no)) == 1
    logs = rows(ndb, EanNotificationLog, notice_no=no)
    assert sorted((g.channel, g.status, g.retry_count) for g in logs) == [("EMAIL", "SUCCESS", 0), ("SMS", "SUCCESS", 0)]
    # a second run finds nothing to do
    again = run(ndb, registry, systems, napp, key="again")
    assert again["claimed"] == 0 and len(systems.sms.sent) == 1 and len(rows(ndb, SuspendedNotice, notice_no=no)) == 1


def _contact(systems, vehicle_no, mobile=None, email=None):
    nric = nric_for(vehicle_no)
    systems.datahive.set_contact(nric, mobile=mobile, email=email)
    return nric


def test_sms_only_method_sms(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000002A", "SBA2222A")])
    _contact(systems, "SBA2222A", mobile="92222222")
    run(ndb, registry, systems, napp)
    n = notice(ndb, no)
    assert (n.notification_method, n.ean_sent_flag, n.epr_reason_of_suspension) == ("SMS", "Y", "ANS")
    assert systems.email.sent == [] and len(systems.sms.sent) == 1


def test_sms_fails_after_retries_email_sent(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000003A", "SBA3333A")])
    _contact(systems, "SBA3333A", mobile="93333333", email="x@example.com")
    systems.sms.fail_always(503)
    run(ndb, registry, systems, napp)
    w = work(ndb, no)
    assert (w.sms_result, w.email_result, w.status) == ("FAILED", "SUCCESS", "DONE")
    assert len(systems.sms.calls_to("/send")) == 4   # the first attempt and 3 retries (§3.5)
    logs = {g.channel: g for g in rows(ndb, EanNotificationLog, notice_no=no)}
    assert (logs["SMS"].status, logs["SMS"].retry_count, logs["EMAIL"].status) == ("FAILED", 3, "SUCCESS")
    assert notice(ndb, no).notification_method == "EMAIL"


@pytest.mark.parametrize("fault", ["timeout", "html", "rejected", "wrong_type"])
def test_every_ean_channel_failing_falls_back_to_the_letter(ndb, registry, systems, napp, fault):
    (no,) = qualified(ndb, [notice_row("700000004A", "SBA4444A")])
    _contact(systems, "SBA4444A", mobile="94444444", email="y@example.com")
    for sim in (systems.sms, systems.email):
        if fault == "timeout":
            sim.time_out_next(4, delay=3)       # longer than the 1 s the test rules allow
        elif fault == "rejected":
            sim.reject_next(4)                  # 200 {"status": "failed"}
        else:
            sim.malformed_next(4, fault)
    run(ndb, registry, systems, napp)
    w = work(ndb, no)
    # a send left unanswered may have gone through: IN_DOUBT, never resent (one call each); others are retried
    expected = "IN_DOUBT" if fault == "timeout" else "FAILED"
    assert (w.sms_result, w.email_result, w.address_result, w.letter_result, w.status) == \
        (expected, expected, "FOUND", "SUCCESS", "DONE")
    if fault == "timeout":
        assert len(systems.sms.calls_to("/send")) == 1 and len(systems.email.calls_to("/send")) == 1
    n = notice(ndb, no)
    assert (n.ean_sent_flag, n.letter_sent_flag, n.epr_reason_of_suspension) == (None, "Y", "ANS")
    (sub,) = systems.slift.submissions
    assert n.slift_submission_id == sub["submissionId"] and sub["noticeNumber"] == no
    assert sub["letterType"] == "ADVISORY_NOTICE" and sub["priority"] == "NORMAL" and sub["letterFile"][:4] == b"%PDF"
    (letter,) = rows(ndb, AnLetterLog, notice_no=no)
    assert (letter.status, letter.slift_submission_id) == ("SUCCESS", sub["submissionId"])


def test_no_contact_letter_read_back(ndb, registry, systems, napp):
    import io

    from pypdf import PdfReader
    (no,) = qualified(ndb, [notice_row("700000005A", "SBA5555A")])
    nric = _contact(systems, "SBA5555A")
    systems.mha.set_particulars(nric, {"buildingName": "KIM KEAT VILLE", "streetName": "KIM KEAT AVENUE",
                                       "blockHouseNo": "123", "unitNumber": "#05-12", "postalCode": "310123"})
    run(ndb, registry, systems, napp)
    (sub,) = systems.slift.submissions
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(sub["letterFile"])).pages)
    for expected in ("Urban Redevelopment Authority", "Car Parks Department", "KIM KEAT VILLE", "123 KIM KEAT AVENUE",
                     "#05-12", "310123", f"Advisory Notice Number: {no}", "RE: ADVISORY NOTICE - VEHICLE SBA5555A",
                     f"- Notice Number: {no}", "- Vehicle Number: SBA5555A", "- Location: Ang Mo Kio Ave 3 Car Park",
                     "- Date and Time: 14 Jan 2026 08:30", "- Composition Amount: $70.00",
                     "Payment is not accepted for this notice", "Yours faithfully"):
        assert expected in text, expected
    assert sub["recipientAddress"] == "KIM KEAT VILLE, 123 KIM KEAT AVENUE, #05-12, SINGAPORE 310123"
    (letter,) = rows(ndb, AnLetterLog, notice_no=no)
    # Stored relative to the letter store (as the demo seeds them), read back against the configured root.
    assert letter.letter_file_path == f"{letter.sent_timestamp:%Y%m%d}/{no}.pdf"
    from api.notifications import read_letter
    root = napp.config["OCMS_AN_LETTER_DIR"]
    assert read_letter(root, letter.letter_file_path).read_bytes() == sub["letterFile"]
    assert read_letter(root, f"../{no}.pdf") is None and read_letter(root, None) is None
    assert read_letter(root, f"{root}/{letter.letter_file_path}") is not None   # an older absolute row, inside the store


def test_excluded_owner_skips_datahive(ndb, registry, systems, napp):
    from repository.models import ENotificationExclusion
    (no,) = qualified(ndb, [notice_row("700000006A", "SBA6666A")])
    nric = _contact(systems, "SBA6666A", mobile="96666666")
    with ndb.unit_of_work() as uow:
        uow.session.add(ENotificationExclusion(id_no=nric, id_type="NRIC", reason="opted out"))
        uow.commit()
    run(ndb, registry, systems, napp)
    assert systems.datahive.calls_to("/contact") == [] and systems.sms.sent == []
    assert work(ndb, no).letter_result == "SUCCESS" and len(systems.slift.submissions) == 1


def test_military_vehicle_owner_mindef_no_lta_call(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000007A", "MID4321", vehicle_registration_type="I")])
    run(ndb, registry, systems, napp)
    assert systems.lta.calls_to("/vehicle/owner") == []
    (owner,) = rows(ndb, OffenceNoticeOwnerDriver, notice_no=no)
    assert (owner.name, owner.id_no) == ("MINDEF", None)
    (item,) = rows(ndb, ManualReviewQueue, notice_no=no)
    assert item.review_type == "AN_MILITARY_OWNER" and work(ndb, no).status == "REVIEW"
    assert notice(ndb, no).suspension_type is None   # no PS-ANS without a send


@pytest.mark.parametrize("fault, review_type", [("404", "AN_LTA_NOT_FOUND"), ("500", "AN_LTA_FAILED"),
                                                ("timeout", "AN_LTA_FAILED"), ("html", "AN_LTA_FAILED"),
                                                ("empty", "AN_LTA_FAILED"), ("shape", "AN_LTA_FAILED")])
def test_lta_failures_go_to_manual_review(ndb, registry, systems, napp, fault, review_type):
    (no,) = qualified(ndb, [notice_row("700000008A", "SBA8888A")])
    if fault == "404":
        systems.lta.not_found("SBA8888A")
    elif fault == "500":
        systems.lta.fail_always(500)
    elif fault == "timeout":
        systems.lta.time_out_next(4, delay=3)
    elif fault == "empty":
        systems.lta.empty_next(4)
    else:
        systems.lta.malformed_next(4, fault)
    run(ndb, registry, systems, napp)
    (item,) = rows(ndb, ManualReviewQueue, notice_no=no)
    assert item.review_type == review_type and item.status == "OPEN"
    assert len(systems.lta.calls_to("/vehicle/owner")) == (1 if fault == "404" else 4)
    w = work(ndb, no)
    assert (w.status, w.review_id, w.claimed_by) == ("REVIEW", item.id, None)
    assert rows(ndb, OffenceNoticeOwnerDriver, notice_no=no) == []
    assert notice(ndb, no).suspension_type is None and systems.sms.sent == []


def test_lta_recovers_within_retries(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000009A", "SBA9999A")])
    systems.lta.fail_next(2, 502)
    run(ndb, registry, systems, napp)
    assert work(ndb, no).owner_result == "FOUND" and work(ndb, no).status == "DONE"


@pytest.mark.parametrize("fault, review_type", [("no_address", "AN_MHA_NO_ADDRESS"), ("404", "AN_MHA_FAILED"),
                                                ("500", "AN_MHA_FAILED")])
def test_mha_failures_go_to_manual_review(ndb, registry, systems, napp, fault, review_type):
    (no,) = qualified(ndb, [notice_row("700000010A", "SBA1010A")])
    nric = _contact(systems, "SBA1010A")
    if fault == "no_address":
        systems.mha.no_address(nric)
    elif fault == "404":
        systems.mha.not_found(nric)
    else:
        systems.mha.fail_always(500)
    run(ndb, registry, systems, napp)
    (item,) = rows(ndb, ManualReviewQueue, notice_no=no)
    assert item.review_type == review_type and systems.slift.submissions == []
    assert notice(ndb, no).suspension_type is None


@pytest.mark.parametrize("fault, review_type, calls", [("reject", "AN_SLIFT_REJECTED", 1), ("500", "AN_SLIFT_FAILED", 4),
                                                       ("status", "AN_SLIFT_FAILED", 4)])
def test_slift_failures_go_to_manual_review(ndb, registry, systems, napp, fault, review_type, calls):
    (no,) = qualified(ndb, [notice_row("700000011A", "SBA1111A")])
    _contact(systems, "SBA1111A")
    if fault == "reject":
        systems.slift.reject_next(1, "Postal code not deliverable")
    elif fault == "500":
        systems.slift.fail_always(500)
    else:
        systems.slift.fail_status_next(4)
    run(ndb, registry, systems, napp)
    (item,) = rows(ndb, ManualReviewQueue, notice_no=no)
    assert item.review_type == review_type and len(systems.slift.calls_to("/submit")) == calls
    if fault == "reject":
        assert "Postal code not deliverable" in item.reason
    (letter,) = rows(ndb, AnLetterLog, notice_no=no)
    assert letter.status in ("REJECTED", "FAILED") and letter.retry_count == calls - 1
    n = notice(ndb, no)
    assert (n.letter_sent_flag, n.suspension_type) == (None, None)


def test_a_late_sms_answer_is_never_resent_and_the_email_follows(ndb, registry, systems, napp):
    """Found by a reviewer: a gateway answering after the timeout had delivered the SMS, and the retry sent a
    second one. A read timeout on a send is IN_DOUBT: no retry, the next channel instead (OCMS 10 §3.5)."""
    (no,) = qualified(ndb, [notice_row("700000021A", "SBA2121A")])
    _contact(systems, "SBA2121A", mobile="92121212", email="late@example.com")
    systems.sms.time_out_next(1, delay=3)
    run(ndb, registry, systems, napp)
    w = work(ndb, no)
    assert (w.sms_result, w.email_result, w.status) == ("IN_DOUBT", "SUCCESS", "DONE")
    assert len(systems.sms.calls_to("/send")) == 1
    logs = {g.channel: g for g in rows(ndb, EanNotificationLog, notice_no=no)}
    assert (logs["SMS"].status, logs["SMS"].retry_count, logs["EMAIL"].status) == ("IN_DOUBT", 0, "SUCCESS")
    assert notice(ndb, no).notification_method == "EMAIL"


def test_a_late_slift_answer_is_never_resubmitted(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000022A", "SBA2222B")])
    _contact(systems, "SBA2222B")
    systems.slift.time_out_next(1, delay=3)
    run(ndb, registry, systems, napp)
    assert len(systems.slift.calls_to("/submit")) == 1
    (item,) = rows(ndb, ManualReviewQueue, notice_no=no)
    assert item.review_type == "AN_SLIFT_IN_DOUBT"
    assert notice(ndb, no).suspension_type is None


def test_datahive_failing_goes_to_the_letter(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000012A", "SBA1212A")])
    systems.datahive.fail_always(500)
    run(ndb, registry, systems, napp)
    w = work(ndb, no)
    assert (w.contact_result, w.letter_result, w.status) == ("FAILED", "SUCCESS", "DONE")


def _suspend_by_officer(db, notice_no: str, suspension_type: str, reason: str) -> None:
    """An officer suspends a qualified AN after intake, before the an-notifications run (as the Staff Portal writes it)."""
    import datetime as dt

    from sqlalchemy import update

    from repository.models import ValidOffenceNotice
    when = dt.datetime(2026, 1, 15, 9, 0)
    reason_column = "crs_reason_of_suspension" if suspension_type == "PS" else "epr_reason_of_suspension"
    with db.unit_of_work() as uow:
        uow.session.execute(update(ValidOffenceNotice).where(ValidOffenceNotice.notice_no == notice_no).values(
            suspension_type=suspension_type, **{reason_column: reason}))
        uow.session.add(SuspendedNotice(notice_no=notice_no, date_of_suspension=when, sr_no=1,
                                        suspension_source="OCMS", suspension_type=suspension_type,
                                        reason_of_suspension=reason, officer_authorising_suspension="officer9",
                                        suspension_remarks="Suspended by an officer", cre_date=when,
                                        cre_user_id="officer9"))
        uow.commit()


@pytest.mark.parametrize("vehicle, vtype, suspension_type, reason", [
    ("SBA1313A", "S", "TS", "APP"), ("SBA1314A", "S", "PS", "FP"), ("MID1313", "I", "TS", "APP")])
def test_a_notice_suspended_before_the_run_gets_no_call_at_all(ndb, registry, systems, napp, vehicle, vtype,
                                                                suspension_type, reason):
    """§3.4 "a notice suspended meanwhile gets no notification": checked before LTA is asked, not after."""
    from repository.models import DecisionLog
    (no,) = qualified(ndb, [notice_row("700000013A", vehicle, vehicle_registration_type=vtype)])
    _contact(systems, vehicle, mobile="91313131")
    _suspend_by_officer(ndb, no, suspension_type, reason)
    counts = run(ndb, registry, systems, napp)
    assert counts["skipped"] == 1 and counts["calls"] == {}
    for system in systems.all:
        assert system.calls == [], type(system).__name__   # no LTA, DataHive, MHA, SMS, email or SLIFT call
    w = work(ndb, no)
    assert (w.status, w.step, w.owner_result, w.contact_result, w.address_result) == ("SKIPPED", "SKIP", None, None,
                                                                                       None)
    assert w.last_error == f"Notice suspended - no notification sent ({suspension_type}-{reason})"
    assert rows(ndb, OffenceNoticeOwnerDriver, notice_no=no) == []   # not even MINDEF for the military vehicle
    assert [(s.suspension_type, s.reason_of_suspension) for s in rows(ndb, SuspendedNotice, notice_no=no)] == \
        [(suspension_type, reason)]   # the officer's, and no PS-ANS
    logged = [d for d in rows(ndb, DecisionLog, subject=no) if d.ruleset == "an_notification_route"]
    assert [(d.outcome, d.fired_rules) for d in logged] == [("SKIP", ["AN-NOTIF-SUSPENDED"])]


def test_unlicensed_parking_is_not_sent_to_lta(ndb, registry, systems, napp):
    (no,) = qualified(ndb, [notice_row("700000014A", "UNLICENSED_PARKING", vehicle_registration_type="X")])
    run(ndb, registry, systems, napp)
    assert systems.lta.calls_to("/vehicle/owner") == []
    assert rows(ndb, ManualReviewQueue, notice_no=no)[0].review_type == "AN_LTA_PRECALL"


def test_route_decisions_are_in_the_decision_log(ndb, registry, systems, napp):
    from repository.models import DecisionLog
    (no,) = qualified(ndb, [notice_row("700000015A", "SBA1515A")])
    _contact(systems, "SBA1515A", mobile="91515151")
    run(ndb, registry, systems, napp)
    logged = [d for d in rows(ndb, DecisionLog, subject=no) if d.ruleset == "an_notification_route"]
    assert [d.outcome for d in sorted(logged, key=lambda d: d.id)] == ["CALL_LTA", "CALL_DATAHIVE", "SEND_SMS",
                                                                       "APPLY_PS_ANS"]
