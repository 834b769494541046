"""Concurrent webhooks: one notice posted twice at once, 20 notices of one vehicle at once, number blocks."""
from __future__ import annotations

import pytest

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from repository.models import (
    DecisionLog, ESuspendedNotice, EValidOffenceNotice, OffenceNoticeDetail, SuspendedNotice, ValidOffenceNotice,
    WebhookReceipt,
)

from .test_intake import CES, KEYS, REPCCS, an_app, ces_payload, payload, post, session  # noqa: F401

pytestmark = pytest.mark.usefixtures("notice_day")  # conftest.py: the notices' business day


def _together(app, requests_):
    """Send (path, body) requests from one thread each, released at the same moment."""
    barrier = threading.Barrier(len(requests_))

    def send(item):
        path, body = item
        client = app.test_client()
        system = "repccs" if path == REPCCS else "ces"
        barrier.wait()
        r = client.post(path, json=body, headers={"Ocp-Apim-Subscription-Key": KEYS[system]})
        return r.status_code, r.get_json()
    with ThreadPoolExecutor(len(requests_)) as pool:
        return list(pool.map(send, requests_))


def test_same_notice_twice_at_once_repccs(an_app, session):
    for _ in range(3):  # a few rounds: the race must never produce two notices or a 500
        results = _together(an_app, [(REPCCS, payload(noticeNo="500400058A"))] * 2)
        assert sorted(s for s, _ in results) == [200, 400], results
        dup = next(j for s, j in results if s == 400)
        assert dup["data"]["message"] == "Duplicate notice detected"
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(ValidOffenceNotice)) == 1
        assert session.scalar(select(func.count()).select_from(OffenceNoticeDetail)) == 1
        assert session.scalar(select(func.count()).select_from(EValidOffenceNotice)) == 1
        assert set(session.scalars(select(DecisionLog.subject))) == {"500400058A"}
        for table in (WebhookReceipt, DecisionLog, ESuspendedNotice, SuspendedNotice, OffenceNoticeDetail,
                      EValidOffenceNotice, ValidOffenceNotice):
            session.execute(table.__table__.delete())
        session.commit()


def test_same_notice_twice_at_once_ces(an_app, session):
    results = _together(an_app, [(CES, ces_payload(anFlag="Y"))] * 2)
    assert sorted(s for s, _ in results) == [200, 226], results
    assert next(j for s, j in results if s == 226)["data"] == {
        "appCode": "OCMS-2026", "message": "Notice no Already exists",
        "errors": [{"field": "noticeNo", "message": "Notice no Already exists"}]}
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ValidOffenceNotice)) == 1
    # The winner's PS-ANS only: sr_no 1, once, mirrored.
    assert [(s.notice_no, s.sr_no) for s in session.scalars(select(SuspendedNotice))] == [("500400058A", 1)]
    assert session.scalar(select(func.count()).select_from(ESuspendedNotice)) == 1


def test_twenty_webhooks_for_one_vehicle_at_once(an_app, session):
    from api.advisory.notice_numbers import is_generated_format
    # 10 distinct offences (hours apart) plus 10 re-sends of one offence (same rule code and time): generated numbers.
    # Each a transaction of its own (a repeated transactionId would be answered, not created: test_idempotency.py).
    distinct = [(REPCCS if i % 2 else CES, (payload if i % 2 else ces_payload)(
        noticeNo=..., noticeDateAndTime=f"2026-01-15T{8 + i:02d}:00:00", transactionId=f"TXN-D{i}")) for i in range(10)]
    same = [(REPCCS if i % 2 else CES, (payload if i % 2 else ces_payload)(
        noticeNo=..., noticeDateAndTime="2026-01-14T10:00:00", anFlag="N", transactionId=f"TXN-S{i}"))
        for i in range(10)]
    results = _together(an_app, distinct + same)
    assert [s for s, _ in results] == [200] * 20, results
    session.expire_all()
    notices = session.scalars(select(ValidOffenceNotice)).all()
    numbers = [n.notice_no for n in notices]
    assert len(numbers) == 20 and len(set(numbers)) == 20 and all(is_generated_format(n) for n in numbers)
    # Every notice has its detail, its mirror equal on the decided fields, and its decisions logged.
    mirrors = {m.notice_no: m for m in session.scalars(select(EValidOffenceNotice))}
    for n in notices:
        assert session.get(OffenceNoticeDetail, n.notice_no) is not None
        m = mirrors[n.notice_no]
        assert (m.an_flag, m.suspension_type, m.epr_reason_of_suspension, m.payment_acceptance_allowed) == \
            (n.an_flag, n.suspension_type, n.epr_reason_of_suspension, n.payment_acceptance_allowed)
    assert set(session.scalars(select(DecisionLog.subject))) == set(numbers)
    # Each notice's decisions logged in the order they were taken (ids ascending), whatever ran beside them.
    rank = {r: i for i, r in enumerate(["ces_subsystem", "vehicle_type", "stage_map", "ces_eht_flag", "double_booking",
                                        "an_qualification", "vip_notice"])}
    logged: dict[str, list[int]] = {}
    for subject, ruleset in session.execute(select(DecisionLog.subject, DecisionLog.ruleset).order_by(DecisionLog.id)):
        logged.setdefault(subject, []).append(rank[ruleset])
    assert all(order == sorted(order) and order[:3] in ([0, 1, 2], [1, 2, 4]) for order in logged.values()), logged
    # Suspensions: unique (notice_no, sr_no), one per suspended notice, each mirrored, matching the notice.
    sus = session.scalars(select(SuspendedNotice)).all()
    keys = [(s.notice_no, s.sr_no) for s in sus]
    assert len(keys) == len(set(keys)) and all(sr == 1 for _, sr in keys)
    by_notice = {s.notice_no: s for s in sus}
    for n in notices:
        s = by_notice.get(n.notice_no)
        assert (s.reason_of_suspension if s else None) == n.epr_reason_of_suspension
    assert sorted((s.notice_no, s.sr_no) for s in session.scalars(select(ESuspendedNotice))) == sorted(keys)
    # The one offence sent ten times: decided one after the other, exactly one stands, nine are PS-DBB.
    same_time = [n for n in notices if n.notice_date_and_time.day == 14]
    assert Counter(n.epr_reason_of_suspension for n in same_time)["DBB"] == 9
    # The distinct offences: every one but the earliest-dated that was decided first has history, so ANs appear;
    # none is a double booking.
    assert all(n.epr_reason_of_suspension != "DBB" for n in notices if n.notice_date_and_time.day == 15)
    assert sum(n.an_flag == "Y" for n in notices) >= 1


def test_allocator_blocks_are_disjoint_across_processes(an_app):
    from api.advisory.notice_numbers import NoticeNumberAllocator
    from api.database import get_db
    engine = get_db(an_app).engine
    allocators = [NoticeNumberAllocator(engine, block=7) for _ in range(4)]
    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(lambda i: allocators[i % 4].next(), range(200)))
    assert len(set(numbers)) == 200
