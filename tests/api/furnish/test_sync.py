"""The furnish-sync job (OCMS 14 tab 4 steps 4-10): copy once, check with MHA over loopback, approve or queue.

MHA is :class:`simulators.mha.MhaSimulator` over HTTP; rows are read back with SQL.
"""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text

from api.jobs import run_job
from repository import business_time
from repository.models import (
    DecisionLog,
    EFurnishApplication,
    EValidOffenceNotice,
    FurnishApplication,
    ManualReviewQueue,
    OffenceNoticeOwnerDriver,
    ValidOffenceNotice,
)
from simulators.mha import MhaSimulator
from simulators.people import particulars_for
from api.furnish.id_numbers import check_letter

from .helpers import URL, body, notice_row, seed_notices, table

JOB = "furnish-sync"
DRIVER_NRIC, HIRER_FIN = "S1234567D", "M1234567K"


@pytest.fixture
def mha(monkeypatch, rules_dir):
    with MhaSimulator() as sim:
        monkeypatch.setenv("OCMS_RULES_DIR", str(rules_dir))   # the job reads the same (private) rules as the app
        monkeypatch.setenv("OCMS_MHA_URL", sim.url)
        monkeypatch.setenv("OCMS_HTTP_BACKOFF", "0.01")
        monkeypatch.setenv("OCMS_HTTP_RETRIES", "1")
        monkeypatch.setenv("OCMS_MHA_TIMEOUT", "2")
        yield sim


def mha_name(nric: str) -> str:
    return particulars_for(nric)["name"]


def nric(i: int) -> str:
    """A valid S-series NRIC numbered ``i``."""
    digits = f"{1000000 + i:07d}"
    return f"S{digits}{check_letter('S', digits)}"


def submit(client, key, notice_no, furnish_type="DRIVER", id_type="NRIC", id_number=DRIVER_NRIC, name=None) -> str:
    r = client.post(URL, json=body(notice_no, furnish_type, id_type, id_number,
                                   name if name is not None else mha_name(id_number).title()),
                    headers=key("eservice"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()["applicationId"]


def run(db, key=None, force=False):
    outcome = run_job(db, JOB, key, force=force)
    assert outcome["status"] == "SUCCESS", outcome
    return outcome["counts"]


def offenders(db, notice_no):
    return {r["owner_driver_indicator"]: r for r in table(db, OffenceNoticeOwnerDriver, notice_no=notice_no)}


def application(db, model, application_id):
    [row] = table(db, model, application_id=application_id)
    return row


def start_of_today() -> dt.datetime:
    return dt.datetime.combine(business_time.today(), dt.time.min)


# ---- copy: exactly once --------------------------------------------------------------------------------------
def test_new_applications_are_copied_once_and_the_intranet_notice_shows_furnish_pending(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"), notice_row("500500304K"))
    mha.fail_always()   # checks retried later: this test is about the copy
    a = submit(client, key, "500500303J")
    b = submit(client, key, "500500304K", "HIRER", "FIN", HIRER_FIN)
    first = run(db, "k1")
    assert first["copied"] == 2 and first["retryLater"] == 2
    internet = {r["application_id"]: r for r in table(db, EFurnishApplication)}
    intranet = {r["application_id"]: r for r in table(db, FurnishApplication)}
    assert sorted(intranet) == sorted(internet) == sorted([a, b])
    for k, row in intranet.items():
        for column in ("notice_no", "furnish_type", "id_type", "id_no", "name", "contact_no", "email_addr",
                       "status", "submitted_date"):
            assert row[column] == internet[k][column], column
        assert row["synced_date"] is not None and internet[k]["synced_date"] == row["synced_date"]
    assert {r["notice_no"]: r["furnish_pending_flag"] for r in table(db, ValidOffenceNotice)} == {
        "500500303J": "Y", "500500304K": "Y"}
    again = run(db, "k2")
    assert again["copied"] == 0
    assert len(table(db, FurnishApplication)) == 2


@pytest.mark.parametrize("batch_size", [None, "2"])
def test_concurrent_runs_copy_check_and_decide_each_application_once(client, db, key, mha, make_app, batch_size):
    """Three runs at once (finding 14: each made 36 MHA calls for the same applications, two found them
    'decidedElsewhere'): each application is claimed by one run before MHA is asked, so MHA hears of it once."""
    notices = [f"5005003{i:02d}A" for i in range(12)]
    seed_notices(db, *(notice_row(n) for n in notices))
    ids = [submit(client, key, n, id_number=nric(i)) for i, n in enumerate(notices)]
    if batch_size:   # small pages: the runs take turns page by page
        from repository.queries import set_parameter
        with db.unit_of_work() as uow:
            set_parameter(uow.session, "FURNISH", "BATCH_SIZE", batch_size)
            uow.commit()
    mha.reset()
    # Runs at once, past the runner's job lock (as three keys would be, or two machines if the lock were lost):
    # the database alone must keep every application copied, checked and decided once.
    from api.config import load_config
    from api.decisions.vocabulary import VOCABULARY
    from api.furnish.processing import run_furnish_sync
    from engine import RuleRegistry

    runs = 3
    results, errors = [None] * runs, []
    barrier = threading.Barrier(runs)

    def go(i):
        registry = RuleRegistry(load_config()["OCMS_RULES_DIR"], actions=VOCABULARY)
        try:
            with db.unit_of_work() as uow:
                barrier.wait()
                results[i] = run_furnish_sync(uow, registry, load_config(), f"race-{i}")
                uow.commit()
        except Exception as e:   # reported below: a thread's failure must fail the test
            errors.append(repr(e))
        finally:
            registry.close()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and None not in results, (errors, results)
    assert sum(r["copied"] for r in results) == len(ids)
    assert sum(r["autoApproved"] for r in results) == len(ids)
    assert sum(r["checked"] for r in results) == len(ids)
    assert sum(r["mhaCalls"] for r in results) == len(ids) == mha.call_count, (results, mha.call_count)
    assert [r["decidedElsewhere"] for r in results] == [0] * runs
    assert len(table(db, FurnishApplication)) == len(ids)
    assert {(r["status"], r["claimed_by"], r["claimed_until"]) for r in table(db, FurnishApplication)} == {
        ("APPROVED", None, None)}
    for n in notices:   # one new current offender each, never two
        people = offenders(db, n)
        assert sorted(people) == ["D", "O"] and people["D"]["is_current"] == "Y" and people["O"]["is_current"] == "N"
    with db.engine.connect() as c:
        approvals = c.scalar(select(func.count()).select_from(DecisionLog).where(
            DecisionLog.ruleset == "furnish_approval"))
    assert approvals == len(ids)


def test_an_application_claimed_by_another_run_is_left_to_it_until_the_claim_lapses(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"), notice_row("500500304K"))
    a = submit(client, key, "500500303J")
    b = submit(client, key, "500500304K", id_number=nric(4))
    from api.furnish.sync import copy_new_applications
    with db.unit_of_work() as uow:
        copy_new_applications(uow.session)
        uow.commit()
    later = business_time.now() + dt.timedelta(minutes=10)
    with db.engine.begin() as c:   # both claimed by another run, alive
        c.execute(text("UPDATE ocms_furnish_application SET claimed_by = 'furnish-sync:other', claimed_until = :t"),
                  {"t": later})
        c.execute(text("UPDATE ocms_furnish_application SET claimed_until = :t WHERE application_id = :b"),
                  {"t": business_time.now() - dt.timedelta(minutes=1), "b": b})   # b's claim lapsed: a crashed run's
    mha.reset()
    counts = run(db, "mine")
    assert (counts["checked"], counts["mhaCalls"], mha.call_count) == (1, 1, 1)
    assert application(db, FurnishApplication, a)["claimed_by"] == "furnish-sync:other"
    assert application(db, FurnishApplication, b)["claimed_by"] is None


def test_a_run_that_crashed_after_claiming_takes_its_claims_back_when_rerun_with_its_key(client, db, key, mha):
    from api.furnish.sync import copy_new_applications

    seed_notices(db, notice_row("500500303J"))
    a = submit(client, key, "500500303J")
    with db.unit_of_work() as uow:   # copied, then claimed by run key k, which died while MHA answered
        copy_new_applications(uow.session)
        uow.commit()
    with db.engine.begin() as c:
        c.execute(text("UPDATE ocms_furnish_application SET claimed_by = 'furnish-sync:k', claimed_until = :t"),
                  {"t": business_time.now() + dt.timedelta(minutes=10)})
    assert run(db, "other")["checked"] == 0 and mha.call_count == 0   # not checked twice meanwhile
    counts = run(db, "k", force=True)
    assert (counts["checked"], counts["autoApproved"], mha.call_count) == (1, 1, 1)
    assert application(db, FurnishApplication, a)["claimed_by"] is None


# ---- auto-approval ----------------------------------------------------------------------------------------------
def test_a_verified_driver_is_auto_approved_the_notice_goes_on_to_dn1(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"))
    a = submit(client, key, "500500303J", name="  " + mha_name(DRIVER_NRIC).lower() + " ")
    counts = run(db)
    assert (counts["checked"], counts["autoApproved"], counts["queuedForReview"], counts["mhaCalls"]) == (1, 1, 0, 1)
    assert mha.call_count == 1
    intranet, internet = application(db, FurnishApplication, a), application(db, EFurnishApplication, a)
    assert intranet["status"] == internet["status"] == "APPROVED"
    assert intranet["decided_by"] == internet["decided_by"] == "AUTO"
    assert intranet["check_attempts"] == 1 and intranet["check_result"]["mhaStatus"] == "FOUND"
    assert intranet["review_reason"] is None
    people = offenders(db, "500500303J")
    assert people["O"]["is_current"] == "N"
    driver = people["D"]
    p = particulars_for(DRIVER_NRIC)
    assert {k: driver[k] for k in ("is_current", "id_type", "id_no", "name", "street_name", "unit_no", "postal_code",
                                   "mobile_no", "is_deceased")} == {
        "is_current": "Y", "id_type": "NRIC", "id_no": DRIVER_NRIC, "name": p["name"],
        "street_name": f"{p['blockHouseNo']} {p['streetName']}", "unit_no": p["unitNumber"],
        "postal_code": p["postalCode"], "mobile_no": "91234567", "is_deceased": "N"}
    assert driver["mha_checked_date"] is not None
    for model in (ValidOffenceNotice, EValidOffenceNotice):
        [n] = table(db, model)
        assert (n["last_processing_stage"], n["next_processing_stage"], n["next_processing_date"],
                n["furnish_pending_flag"], n["offender_name"]) == ("RD1", "DN1", start_of_today(), None, p["name"])
    logged = [(r["ruleset"], r["outcome"]) for r in table(db, DecisionLog, subject="500500303J")]
    assert ("furnish_approval", "AUTO_APPROVE") in logged and ("stage_map", "ALLOWED") in logged


def test_a_verified_hirer_is_auto_approved_the_notice_goes_on_to_rd1(client, db, key, mha):
    seed_notices(db, notice_row("500500304K", last_processing_stage="RD2", next_processing_stage="RR3"))
    a = submit(client, key, "500500304K", "HIRER", "FIN", HIRER_FIN)
    assert run(db)["autoApproved"] == 1
    assert application(db, EFurnishApplication, a)["status"] == "APPROVED"
    people = offenders(db, "500500304K")
    assert people["H"]["is_current"] == "Y" and people["H"]["id_type"] == "FIN" and people["O"]["is_current"] == "N"
    [n] = table(db, ValidOffenceNotice)
    assert (n["last_processing_stage"], n["next_processing_stage"], n["next_processing_date"]) == (
        "RD2", "RD1", start_of_today())


def test_the_next_stage_comes_from_the_stage_map(client, db, key, mha, rules_dir):
    path = rules_dir / "stage_map.yaml"
    path.write_text(path.read_text().replace("then: {outcome: ALLOWED, next_processing_stage: DN1, stage_days: 0}",
                                             "then: {outcome: ALLOWED, next_processing_stage: DN1, stage_days: 2}"))
    seed_notices(db, notice_row("500500303J"))
    submit(client, key, "500500303J")
    run(db)
    [n] = table(db, ValidOffenceNotice)
    assert (n["next_processing_stage"], n["next_processing_date"]) == ("DN1", start_of_today() + dt.timedelta(days=2))


def test_a_furnished_role_that_had_a_row_before_is_replaced(client, db, key, mha):
    old = {"notice_no": "500500303J", "owner_driver_indicator": "D", "is_current": "N", "id_type": "NRIC",
           "id_no": nric(77), "name": "AN EARLIER DRIVER", "cre_date": dt.datetime(2026, 1, 2), "cre_user_id": "t"}
    seed_notices(db, notice_row("500500303J"), offenders=[old])
    submit(client, key, "500500303J")
    run(db)
    people = offenders(db, "500500303J")
    assert people["D"]["id_no"] == DRIVER_NRIC and people["D"]["is_current"] == "Y"
    assert people["D"]["upd_date"] is not None


# ---- OIC review queue ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("setup, reason", [
    (lambda mha: mha.set_particulars(DRIVER_NRIC, {"isDeceased": True}), "Furnished person is deceased according to MHA"),
    (lambda mha: mha.not_found(DRIVER_NRIC), "Particulars not found in MHA"),
    (lambda mha: mha.no_address(DRIVER_NRIC), "MHA holds no registered address for the ID"),
    (lambda mha: mha.set_particulars(DRIVER_NRIC, {"name": "SOMEBODY ELSE"}), "Name does not match MHA's record for the ID"),
    (lambda mha: mha.set_particulars(DRIVER_NRIC, {"isDeceased": None}), "Auto-approval criteria not met"),
])
def test_failed_criteria_go_to_the_oic_review_queue(client, db, key, mha, setup, reason):
    seed_notices(db, notice_row("500500303J"))
    setup(mha)
    a = submit(client, key, "500500303J")
    counts = run(db)
    assert (counts["autoApproved"], counts["queuedForReview"]) == (0, 1)
    row = application(db, FurnishApplication, a)
    assert row["status"] == "PENDING_APPROVAL" and row["review_reason"] == reason and row["check_attempts"] == 1
    [queued] = table(db, ManualReviewQueue)
    assert (queued["notice_no"], queued["review_type"], queued["status"], queued["reason"]) == (
        "500500303J", "FURNISH", "OPEN", reason)
    assert queued["details"]["applicationId"] == a
    assert offenders(db, "500500303J")["O"]["is_current"] == "Y" and "D" not in offenders(db, "500500303J")
    [n] = table(db, EValidOffenceNotice)
    assert n["furnish_pending_flag"] == "Y" and n["next_processing_stage"] == "RD2"
    assert application(db, EFurnishApplication, a)["status"] == "PENDING_APPROVAL"
    # queued once: a later run leaves it to the OIC
    again = run(db, "again")
    assert again["checked"] == 0 and len(table(db, ManualReviewQueue)) == 1


def test_a_passport_is_not_sent_to_mha_and_needs_an_oic(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"))
    a = submit(client, key, "500500303J", id_type="PASSPORT", id_number="E1234567", name="JOHN DOE")
    counts = run(db)
    assert counts["mhaCalls"] == 0 and mha.call_count == 0
    assert application(db, FurnishApplication, a)["review_reason"] == "ID type cannot be verified with MHA"


def test_a_notice_paid_since_the_submission_goes_to_the_oic_with_the_reason(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"))
    a = submit(client, key, "500500303J")
    with db.engine.begin() as c:
        c.execute(text("UPDATE ocms_valid_offence_notice SET suspension_type = 'PS', crs_reason_of_suspension = 'FP'"))
    run(db)
    assert application(db, FurnishApplication, a)["review_reason"] == (
        "Notice is no longer eligible for furnishing: Notice is already paid")


@pytest.mark.parametrize("approved_by", ["auto", "oic"])
@pytest.mark.parametrize("first, second, message", [
    ("HIRER", "HIRER", "A hirer has already been furnished for this notice"),
    ("DRIVER", "HIRER", "A driver has already been furnished for this notice"),
    ("DRIVER", "DRIVER", "A driver has already been furnished for this notice"),
])
def test_a_furnish_an_approval_would_refuse_is_refused_at_submission(client, db, key, mha, bearer, approved_by,
                                                                    first, second, message):
    """Finding 11: after an approval the notice is still at RD1 (until the stage progression moves it); a second
    application the approval would refuse (409) is refused at submission with the same message, nothing kept."""
    seed_notices(db, notice_row("500500303J"))
    name = "SOMEONE ELSE" if approved_by == "oic" else None   # a name MHA does not know: the OIC decides
    a = submit(client, key, "500500303J", first, id_number=DRIVER_NRIC, name=name)
    run(db, "first")
    if approved_by == "oic":
        r = client.post(f"/v1/furnish/applications/{a}/approve", json={}, headers=bearer())
        assert r.status_code == 200, r.get_json()
    assert application(db, EFurnishApplication, a)["status"] == "APPROVED"
    before = (table(db, EFurnishApplication), table(db, EValidOffenceNotice))
    r = client.post(URL, json=body("500500303J", second, "NRIC", "T1234567J", "JANE DOE"), headers=key("eservice"))
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["data"] == {"appCode": "OCMS-4000", "message": message,
                                    "errors": [{"field": "furnishType", "message": message}]}
    assert (table(db, EFurnishApplication), table(db, EValidOffenceNotice)) == before


def test_a_hirer_once_approved_may_still_furnish_the_driver(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"))
    submit(client, key, "500500303J", "HIRER", "FIN", HIRER_FIN)
    assert run(db, "hirer")["autoApproved"] == 1
    submit(client, key, "500500303J", "DRIVER", id_number=DRIVER_NRIC)
    assert run(db, "driver")["autoApproved"] == 1
    assert offenders(db, "500500303J")["D"]["is_current"] == "Y"


def test_a_driver_the_internet_zone_does_not_know_still_sends_the_application_to_the_oic(client, db, key, mha):
    """The approval-time check stays: a driver made current on the intranet (not by an internet application)."""
    seed_notices(db, notice_row("500500303J"), offenders=[{
        "notice_no": "500500303J", "owner_driver_indicator": "D", "is_current": "Y", "id_type": "NRIC",
        "id_no": "T1234567J", "name": "A DRIVER", "cre_date": dt.datetime(2026, 1, 7), "cre_user_id": "test"}],
        owner=False)
    second = submit(client, key, "500500303J", "HIRER", id_number=DRIVER_NRIC)
    run(db, "second")
    assert application(db, FurnishApplication, second)["review_reason"] == (
        "Notice is no longer eligible for furnishing: A driver has already been furnished for this notice")


def test_no_next_stage_in_the_stage_map_is_refused_at_submission(client, db, key, rules_dir):
    """The other approval-time refusal the notice alone decides (review.py: 409 'The stage map gives no next
    stage'): an analyst took the hirer row out of the stage map, so a hirer is refused when submitted."""
    path = rules_dir / "stage_map.yaml"
    text_ = path.read_text()
    start = text_.index("  - id: STAGE-MAP-FURNISH-HIRER")
    end = text_.index("\ntable:", start) + 1
    path.write_text(text_[:start] + text_[end:])
    seed_notices(db, notice_row("500500303J"))
    r = client.post(URL, json=body("500500303J", "HIRER"), headers=key("eservice"))
    assert r.status_code == 400, r.get_json()
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000" and data["errors"][0]["field"] == "furnishType"
    assert data["message"] == "The stage map gives no next stage for this furnish type"
    assert table(db, EFurnishApplication) == []
    assert client.post(URL, json=body("500500303J", "DRIVER"), headers=key("eservice")).status_code == 200


# ---- MHA unavailable: retried by the next runs, then the OIC ---------------------------------------------------
def test_mha_unavailable_is_retried_at_the_next_runs_then_queued(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"))
    mha.fail_always()
    a = submit(client, key, "500500303J")
    for attempt in (1, 2):
        counts = run(db, f"run-{attempt}")
        assert counts["retryLater"] == 1 and counts["queuedForReview"] == 0
        row = application(db, FurnishApplication, a)
        assert row["check_attempts"] == attempt and row["review_reason"] is None
        assert "HTTP 500" in row["last_check_error"]
    counts = run(db, "run-3")
    assert counts["queuedForReview"] == 1
    assert application(db, FurnishApplication, a)["review_reason"] == "MHA could not be reached; automatic check given up"


def test_mha_back_before_the_last_attempt_approves(client, db, key, mha):
    seed_notices(db, notice_row("500500303J"))
    mha.fail_always()
    a = submit(client, key, "500500303J")
    run(db, "down")
    mha.reset()
    assert run(db, "up")["autoApproved"] == 1
    assert application(db, FurnishApplication, a)["check_attempts"] == 2


# ---- a crash mid-run loses nothing; the re-run does nothing twice -----------------------------------------------
def test_a_crash_after_the_first_page_keeps_it_and_the_rerun_finishes(client, db, key, mha, app):
    from api.config import load_config
    from api.decisions.service import get_rules
    from api.furnish.processing import run_furnish_sync
    from repository.queries import set_parameter

    notices = ["500500301A", "500500302A", "500500303A"]
    seed_notices(db, *(notice_row(n) for n in notices))
    for i, n in enumerate(notices):
        submit(client, key, n, id_number=nric(i))
    with db.unit_of_work() as uow:
        set_parameter(uow.session, "FURNISH", "BATCH_SIZE", "1")
        uow.commit()

    class Crash(RuntimeError):
        pass

    def crash_after_first(page):
        if page == 1:
            raise Crash("worker killed")

    registry = get_rules(app).registry
    with pytest.raises(Crash), db.unit_of_work() as uow:
        run_furnish_sync(uow, registry, load_config(), "crash", on_page=crash_after_first)
    assert [r["status"] for r in table(db, FurnishApplication)] == ["APPROVED", "PENDING_APPROVAL", "PENDING_APPROVAL"]
    counts = run(db, "rerun")
    assert (counts["copied"], counts["checked"], counts["autoApproved"]) == (0, 2, 2)
    assert [r["status"] for r in table(db, FurnishApplication)] == ["APPROVED"] * 3
    for n in notices:
        assert sorted(offenders(db, n)) == ["D", "O"]


def test_two_pending_applications_of_one_notice_approve_one_and_queue_the_other(client, db, key, mha):
    """The internet zone allows one pending application per notice; rows loaded otherwise are still handled."""
    seed_notices(db, notice_row("500500303J"))
    first = submit(client, key, "500500303J")
    stamp = business_time.now()
    with db.engine.begin() as c:   # a second pending intranet application, as a data load might leave it
        c.execute(text("INSERT INTO ocms_furnish_application (application_id, notice_no, furnish_type, id_type, id_no, "
                       "name, contact_no, status, submitted_date, check_attempts, cre_date, cre_user_id) VALUES "
                       "('FA20000101001', '500500303J', 'DRIVER', 'NRIC', :n, :name, '91234567', 'PENDING_APPROVAL', "
                       ":d, 0, :d, 'load')"), {"n": DRIVER_NRIC, "name": mha_name(DRIVER_NRIC), "d": stamp})
    counts = run(db)
    assert (counts["autoApproved"], counts["queuedForReview"]) == (1, 1)
    statuses = {r["application_id"]: (r["status"], r["review_reason"]) for r in table(db, FurnishApplication)}
    approved = [a for a, (st, _) in statuses.items() if st == "APPROVED"]
    assert len(approved) == 1 and first in statuses
    [(other_status, reason)] = [v for a, v in statuses.items() if a not in approved]
    assert other_status == "PENDING_APPROVAL" and reason == "Another application for this notice was approved in the same run"
