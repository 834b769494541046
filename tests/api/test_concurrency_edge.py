"""Every writing endpoint at 10 workers at once (issue 10): no 500, no deadlock, the rows a serial run would leave.

Each worker is an app of its own (its own engine and connections, like a gunicorn
worker) on the one test database; on PostgreSQL they really run together (rows
locked in key order, the shared retry rule behind them), on SQLite the database
serialises them. Webhook repeats: 20 parallel posts of one transaction.
"""
from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from repository.models import (
    ChangeOfProcessing, CourtCase, DecisionLog, EValidOffenceNotice, OffenceNoticeOwnerDriver, ReportFile,
    ValidOffenceNotice, WebhookReceipt,
)

from tests.conftest import bearer

WORKERS = 10
KEYS = {"cas": "cas-test-key", "plus": "plus-test-key", "admin": "admin-test-key", "repccs": "repccs-test-key",
        "ces": "ces-test-key", "toppan": "toppan-test-key"}


@pytest.fixture
def workers(make_app, tmp_path):
    """WORKERS apps on one database, rules loaded, reference data seeded once."""
    from api.database import get_db
    from api.decisions.service import get_rules
    from repository.seed import seed_reference
    apps = [make_app(OCMS_API_KEYS=dict(KEYS), OCMS_REPORT_DIR=str(tmp_path / "reports")) for _ in range(WORKERS)]
    with get_db(apps[0]).unit_of_work() as uow:
        seed_reference(uow.session)
        uow.commit()
    for app in apps:
        get_rules(app).ensure_loaded()
    return apps


def together(apps, calls):
    """Run ``calls[i](client_i)`` on app i % len(apps), all released at once; return the responses in order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)
    errors: list = []

    def go(i):
        client = apps[i % len(apps)].test_client()
        barrier.wait()
        try:
            out[i] = calls[i](client)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert all(r is not None for r in out)
    statuses = Counter(r.status_code for r in out)
    assert not any(s >= 500 for s in statuses), [r.get_json() for r in out if r.status_code >= 500]
    return out


def db_of(apps):
    from api.database import get_db
    return get_db(apps[0])


def count(db, model, *where) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def seed_notices(db, numbers, stage="CRT", role=True):
    now = dt.datetime.now().replace(microsecond=0)
    rows = [{"notice_no": n, "vehicle_no": f"SBA{n[-4:]}", "notice_date_and_time": now - dt.timedelta(days=30),
             "offence_notice_type": "O", "computer_rule_code": 10100, "composition_amount": Decimal("70.00"),
             "amount_payable": Decimal("70.00"), "last_processing_stage": stage,
             "last_processing_date": now - dt.timedelta(days=5), "prev_processing_stage": "ROV",
             "offender_name": f"Offender {n}"} for n in numbers]
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), rows)
        uow.session.execute(insert(EValidOffenceNotice), rows)
        if role:
            uow.session.execute(insert(OffenceNoticeOwnerDriver), [
                {"notice_no": n, "owner_driver_indicator": "O", "is_current": "Y", "id_no": f"S{n[-7:]}"}
                for n in numbers])
        uow.commit()


# ---- CAS API 2: overlapping batches --------------------------------------------------------------------------
def test_ten_cas_api2_batches_over_overlapping_notices(workers):
    db = db_of(workers)
    numbers = [f"5004{i:05d}A" for i in range(60)]
    seed_notices(db, numbers)
    rng = random.Random(10)
    batches = []
    for w in range(WORKERS):
        chosen = rng.sample(numbers, 40)  # each batch in its own (random) order: plan order differs per batch
        batches.append([{"noticeNo": n, "suspensionType": "TS", "lastProcessingStage": "CSD",
                         "prevProcessingStage": "CRT", "nextProcessingStage": "CSR",
                         "lastProcessingDate": f"2024-01-{w + 1:02d}", "prevProcessingDate": "2024-01-01",
                         "nextProcessingDate": "2024-02-01", "atomsFlag": "Y", "amountPayable": 100 + w,
                         "paymentAcceptanceAllowed": "Y", "eprReasonOfSuspension": "APP",
                         "eprDateOfSuspension": "2024-01-15"} for n in chosen])
    out = together(workers, [lambda c, b=b: c.post("/v1/ocms/cas-updateCourtNotices", json={"notices": b},
                                                   headers={"Ocp-Apim-Subscription-Key": KEYS["cas"]})
                             for b in batches])
    assert [r.status_code for r in out] == [200] * WORKERS
    assert [r.get_json()["updatedCount"] for r in out] == [40] * WORKERS
    assert count(db, DecisionLog) == 40 * WORKERS
    with db.session() as s:
        for n in numbers:
            von = s.get(ValidOffenceNotice, n)
            mirror = s.get(EValidOffenceNotice, n)
            sent = [w for w, b in enumerate(batches) if any(x["noticeNo"] == n for x in b)]
            if not sent:
                assert von.last_processing_stage == "CRT"
                continue
            # One whole batch's values (the last to commit), on the notice and its mirror alike.
            w = int(von.amount_payable) - 100
            assert w in sent and von.last_processing_date == dt.datetime(2024, 1, w + 1)
            assert (mirror.amount_payable, mirror.last_processing_date, mirror.last_processing_stage) == \
                (von.amount_payable, von.last_processing_date, "CSD")


# ---- PLUS API 4 -------------------------------------------------------------------------------------------------
def test_ten_plus_api4_requests_over_overlapping_notices(workers):
    db = db_of(workers)
    numbers = [f"5005{i:05d}B" for i in range(15)]
    seed_notices(db, numbers)
    rng = random.Random(4)
    asks = [(rng.sample(numbers, 10), f"2024-03-{w + 1:02d}") for w in range(WORKERS)]
    out = together(workers, [lambda c, a=a: c.post("/v1/plus-queryNoticeInfo",
                                                   json={"noticeNumbers": a[0], "paymentDueDate": a[1]},
                                                   headers={"Ocp-Apim-Subscription-Key": KEYS["plus"]})
                             for a in asks])
    assert [r.status_code for r in out] == [200] * WORKERS
    assert all(r.get_json()["updatedCount"] == 10 for r in out)
    with db.session() as s:
        cases = {c.notice_no: c.court_payment_due_date for c in s.scalars(select(CourtCase))}
    asked = {n for a in asks for n in a[0]}
    assert set(cases) == asked  # one court case per notice, none twice
    for n, due in cases.items():
        assert due.isoformat() in {d for ns, d in asks if n in ns}


# ---- CPS: Staff Portal submit, PLUS, Toppan ------------------------------------------------------------------------
def test_ten_officers_submit_overlapping_notices(workers):
    db = db_of(workers)
    numbers = [f"C{i:09d}" for i in range(30)]
    seed_notices(db, numbers, stage="RD1")
    rng = random.Random(15)
    picks = [rng.sample(numbers, 12) for _ in range(WORKERS)]
    out = together(workers, [lambda c, p=p, w=w: c.post(
        "/v1/cps/submit", json={"noticeNumbers": p, "newProcessingStage": "RD2", "reasonOfChange": "SUP",
                                "remarks": None, "isConfirmation": False},
        headers=bearer(f"officer{w}", ("OIC",))) for w, p in enumerate(picks)])
    assert [r.status_code for r in out] == [200] * WORKERS
    updated = Counter(x["noticeNo"] for r in out for x in r.get_json()["results"] if x["status"] == "UPDATED")
    picked = {n for p in picks for n in p}
    assert set(updated) == picked and set(updated.values()) == {1}  # each notice changed by exactly one officer
    others = [x for r in out for x in r.get_json()["results"] if x["status"] != "UPDATED"]
    # Later officers find the notice already at RD2 (no RD2 → RD2 move) or changed today: as if one after the other.
    assert {x["code"] for x in others} <= {"OCMS.CPS.ELIG.EXISTING_CHANGE_TODAY", "OCMS.CPS.ELIG.NO_STAGE_RULE"}
    assert count(db, ChangeOfProcessing) == len(picked)
    assert count(db, ValidOffenceNotice, ValidOffenceNotice.last_processing_stage == "RD2") == len(picked)


def test_ten_plus_and_toppan_changes_at_once(workers):
    db = db_of(workers)
    numbers = [f"T{i:09d}" for i in range(20)]
    seed_notices(db, numbers, stage="ROV")
    plus = [lambda c, w=w: c.post("/v1/plus/changeProcessingStage", json={
        "noticeNo": numbers[w:w + 10], "lastStageName": "ROV", "nextStageName": "RD1", "offenceType": "O",
        "source": "005"}, headers={"Ocp-Apim-Subscription-Key": KEYS["plus"]}) for w in range(WORKERS // 2)]
    toppan = [lambda c, w=w: c.post("/v1/internal/toppan/changeProcessingStage", json={
        "batchId": f"B{w}", "currentStage": "ROV", "newStage": "RD1", "noticeNumbers": numbers[w * 2:w * 2 + 10]},
        headers={"Ocp-Apim-Subscription-Key": KEYS["toppan"]}) for w in range(WORKERS // 2)]
    out = together(workers, plus + toppan)
    assert [r.status_code for r in out] == [200] * WORKERS
    with db.session() as s:
        changes = Counter(s.scalars(select(ChangeOfProcessing.notice_no)))
        stages = dict(s.execute(select(ValidOffenceNotice.notice_no, ValidOffenceNotice.last_processing_stage)).all())
    touched = {n for n in numbers[:WORKERS // 2 + 9]} | {n for w in range(WORKERS // 2) for n in numbers[w * 2:w * 2 + 10]}
    assert set(changes) == touched and set(changes.values()) == {1}  # moved once, whoever came first
    assert all(stages[n] == "RD1" for n in touched)


# ---- reports -------------------------------------------------------------------------------------------------------
def test_ten_reports_at_once(workers):
    db = db_of(workers)
    today = dt.date.today().isoformat()
    calls = [lambda c: c.post("/v1/cps/reports", json={"startDate": today, "endDate": today}, headers=bearer())
             for _ in range(WORKERS // 2)]
    calls += [lambda c: c.get("/v1/an/reports/ans", query_string={"dateFrom": today, "dateTo": today}, headers=bearer())
              for _ in range(WORKERS // 2)]
    out = together(workers, calls)
    assert sorted(r.status_code for r in out) == [200] * (WORKERS // 2) + [201] * (WORKERS // 2)
    assert count(db, ReportFile) == WORKERS // 2


# ---- webhooks: one transaction posted 20 times at once ---------------------------------------------------------
def _webhook(source: str, **changes) -> dict:
    p = {"transactionId": f"{source}-TXN-42", "subsystemLabel": "001" if source == "repccs" else "230EHT",
         "vehicleNo": "SBA1234A", "computerRuleCode": 10100, "compositionAmount": 70.00,
         "noticeDateAndTime": "2026-01-15T08:30:00", "offenceNoticeType": "O", "vehicleRegistrationType": "S",
         "anFlag": "N"}
    p.update(changes)
    return {k: v for k, v in p.items() if v is not ...}


@pytest.mark.parametrize("source, path, notice_no, answers", [
    ("repccs", "/v1/repccsWebhook", None, {200: 20}),
    ("ces", "/v1/cesWebhook-create-notice", None, {200: 20}),
    ("repccs", "/v1/repccsWebhook", "500400058A", {200: 1, 400: 19}),
    ("ces", "/v1/cesWebhook-create-notice", "500400058A", {200: 1, 226: 19}),
])
def test_twenty_repeats_of_one_transaction_at_once_create_one_notice(workers, source, path, notice_no, answers):
    db = db_of(workers)
    body = _webhook(source, noticeNo=notice_no or ...)
    out = together(workers, [lambda c: c.post(path, json=body, headers={"Ocp-Apim-Subscription-Key": KEYS[source]})
                             for _ in range(20)])
    assert dict(Counter(r.status_code for r in out)) == answers
    first = next(r.get_json() for r in out if r.status_code == 200)
    assert all(r.get_json() == first for r in out if r.status_code == 200)  # the original answer, every time
    if notice_no:
        dup = {"repccs": "Duplicate notice detected", "ces": "Notice no Already exists"}[source]
        assert {r.get_json()["data"]["message"] for r in out if r.status_code != 200} == {dup}
    assert count(db, ValidOffenceNotice) == 1 and count(db, WebhookReceipt) == 1
    with db.session() as s:
        (created,) = s.scalars(select(ValidOffenceNotice.notice_no)).all()
        receipt = s.get(WebhookReceipt, (source.upper(), f"{source}-TXN-42"))
        assert receipt.notice_no == created and receipt.notice_no_generated == ("N" if notice_no else "Y")
        assert set(s.scalars(select(DecisionLog.subject))) == {created}
