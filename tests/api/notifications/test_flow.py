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
