"""Stage progression (OCMS 14 tab 2 steps 8-19): due notices to their next stage, with checks and letters."""
from __future__ import annotations

import datetime as dt
import io
import os
from unittest import mock

import pytest
from pypdf import PdfReader
from sqlalchemy import insert

from repository.models import (
    ChangeOfProcessing, DecisionLog, EValidOffenceNotice, LetterDelivery, OffenceNoticeOwnerDriver, PendingCheck,
    SuspendedNotice, ValidOffenceNotice, now,
)
from tests.api.vip.conftest import Killed, all_rows, get, insert_notices, notice_row, run_job_with

JOB = "stage-progression"
TODAY = now().date()


def due(n, last, new, in_days=-1, vtype="S", vehicle=None, **cols):
    stage_date = now() - dt.timedelta(days=5)
    fields = dict(vehicle_no=vehicle or f"SB{n[-4:]}A", last_processing_stage=last, last_processing_date=stage_date,
                  next_processing_stage=new, next_processing_date=now() + dt.timedelta(days=in_days),
                  pp_name="Bedok North Car Park")
    return notice_row(n, vtype=vtype, **{**fields, **cols})


def owner(n, id_no="S1234567D", indicator="O", **cols):
    row = {"notice_no": n, "owner_driver_indicator": indicator, "is_current": "Y", "id_type": "NRIC", "id_no": id_no,
           "name": "TAN AH KOW", "street_name": "123 KIM KEAT AVENUE", "postal_code": "310123", "cre_user_id": "t",
           "cre_date": now()}
    row.update(cols)
    return row


def add_owners(db, rows):
    with db.unit_of_work() as uow:
        uow.session.execute(insert(OffenceNoticeOwnerDriver), rows)
        uow.commit()


def config_of(externals, vip_app) -> dict:
    from api.config import load_config
    return load_config({**externals.env, "OCMS_DATABASE_URL": vip_app.config["OCMS_DATABASE_URL"]})


def progress(vdb, registry, externals, vip_app, day, **kw):
    """progress_stages for ``day`` (any day: a life can be walked forward) with the simulators."""
    from api.clients.sftp import SftpClient
    from api.stages.checks import Clients
    from api.stages.progression import progress_stages
    config = config_of(externals, vip_app)
    clients = Clients.from_config(config, registry.get("stage_progression").parameters)
    sftp = SftpClient.from_config(config)
    try:
        with vdb.unit_of_work() as uow:
            out = progress_stages(uow, registry, day, clients, sftp, templates_dir=config["OCMS_TEMPLATES_DIR"], **kw)
            uow.commit()
            return out
    finally:
        sftp.close()
        clients.close()


def test_due_notices_move_and_the_others_stay(vdb, externals):
    insert_notices(vdb, [
        due("S000000001", "RR3", "CPC"),                              # local vehicle: CPC here (no checks)
        due("S000000002", "RR3", "CPC", in_days=0),                   # due today
        due("V000000003", "RR3", "CPC", vtype="V"),                   # VIP: left to vip-ts-clv
        due("S000000004", "RR3", "CPC", in_days=1),                   # due tomorrow
        due("S000000005", "RR3", "CPC", suspension_type="TS", epr_reason_of_suspension="APP"),  # suspended
        due("S000000006", "CPC", "CSD"),                              # court: CAS moves it
        due("S000000007", "NPA", "ROV", an_flag="Y"),                 # AN waiting for its notification
        due("S000000008", "NPA", "RD2"),                              # a move the stage map does not allow
    ])
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS", out
    c = out["counts"]
    assert (c["moved"], c["byStage"], c["noStageRule"], c["left"]) == (2, {"CPC": 2}, 1, 2)
    for n in ("S000000001", "S000000002"):
        v = get(vdb, ValidOffenceNotice, n)
        assert (v.prev_processing_stage, v.last_processing_stage, v.next_processing_stage) == ("RR3", "CPC", "CSD")
        assert v.next_processing_date.date() == (v.last_processing_date + dt.timedelta(days=14)).date()
        assert get(vdb, EValidOffenceNotice, n).last_processing_stage == "CPC"
        (a,) = all_rows(vdb, ChangeOfProcessing, notice_no=n)
        assert (a.last_processing_stage, a.new_processing_stage, a.source) == ("RR3", "CPC", "SYSTEM")
        (d,) = all_rows(vdb, DecisionLog, subject=n, ruleset="stage_progression")
        assert d.fired_rules == ["SP-CPC"]
    for n, stage in (("V000000003", "RR3"), ("S000000004", "RR3"), ("S000000005", "RR3"), ("S000000006", "CPC"),
                     ("S000000007", "NPA"), ("S000000008", "NPA")):
        assert get(vdb, ValidOffenceNotice, n).last_processing_stage == stage, n
    assert run_job_with(vdb, externals.env, JOB, force=True)["counts"]["moved"] == 0


def test_rov_checks_lta_records_the_owner_and_a_vehicle_no_longer_vip_leaves_the_vip_flow(vdb, externals):
    insert_notices(vdb, [due("V000000001", "NPA", "ROV", vtype="V", vehicle="VIP0001A"),
                         due("V000000002", "NPA", "ROV", vtype="V", vehicle="VIP0002B")])
    externals.lta.set_owner("VIP0002B", {"vehicleRegistrationType": "S"})   # amended: no longer a VIP vehicle
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS" and out["counts"]["moved"] == 2 and out["counts"]["leftVipFlow"] == 1
    assert out["counts"]["ltaOk"] == 2
    o = get(vdb, OffenceNoticeOwnerDriver, "V000000001", "O")
    assert o.is_current == "Y" and o.id_no.startswith("S") and o.name
    v1, v2 = get(vdb, ValidOffenceNotice, "V000000001"), get(vdb, ValidOffenceNotice, "V000000002")
    assert (v1.last_processing_stage, v1.next_processing_stage, v1.vehicle_registration_type) == ("ROV", "RD1", "V")
    assert (v2.last_processing_stage, v2.vehicle_registration_type) == ("ROV", "S")
    assert get(vdb, EValidOffenceNotice, "V000000002").vehicle_registration_type == "S"
    (d,) = all_rows(vdb, DecisionLog, subject="V000000002", ruleset="vip_notice")
    assert d.outcome == "LEFT_VIP_FLOW"


def test_lta_timing_out_is_retried_three_times_then_the_notice_goes_on_with_existing_data(vdb, externals):
    insert_notices(vdb, [due("V000000001", "NPA", "ROV", vtype="V", vehicle="VIP0001A")])
    externals.lta.time_out_next(4, delay=3)
    out = run_job_with(vdb, {**externals.env, "OCMS_LTA_TIMEOUT": "0.3"}, JOB)
    assert out["status"] == "SUCCESS" and out["counts"]["ltaFailed"] == 1 and out["counts"]["moved"] == 1
    assert len(externals.lta.calls) == 4                                   # 1 try + 3 retries (stage_progression)
    v = get(vdb, ValidOffenceNotice, "V000000001")
    assert (v.last_processing_stage, v.vehicle_registration_type) == ("ROV", "V")
    assert all_rows(vdb, OffenceNoticeOwnerDriver) == []


def test_reminder_needs_mha_and_datahive_and_a_letter_read_back_from_the_vendor(vdb, externals):
    insert_notices(vdb, [due("V000000001", "ROV", "RD1", vtype="V", vehicle="VIP0001A", amount_payable=70)])
    add_owners(vdb, [owner("V000000001", street_name=None, postal_code=None)])
    externals.mha.set_particulars("S1234567D", {"name": "TAN AH KOW", "blockHouseNo": "9", "streetName": "BEDOK ROAD",
                                                "unitNumber": "#01-02", "postalCode": "460009", "buildingName": None})
    externals.datahive.set_contact("S1234567D", mobile="91234567", email="tan@example.com")
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS", out
    assert (out["counts"]["moved"], out["counts"]["lettersSent"], out["counts"]["mhaOk"]) == (1, 1, 1)
    o = get(vdb, OffenceNoticeOwnerDriver, "V000000001", "O")
    assert (o.street_name, o.postal_code, o.mobile_no, o.email_addr) == ("9 BEDOK ROAD", "460009", "91234567",
                                                                        "tan@example.com")
    (f,) = externals.sftp.files()
    assert f == f"print/{TODAY:%Y%m%d}/RD1_V000000001_{TODAY:%Y%m%d}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO((externals.sftp.root / f).read_bytes())).pages)
    assert "REMINDER (RD1)" in text and "V000000001" in text and "9 BEDOK ROAD" in text and "SINGAPORE 460009" in text
    v = get(vdb, ValidOffenceNotice, "V000000001")
    assert (v.last_processing_stage, v.next_processing_stage) == ("RD1", "RD2")
    assert v.next_processing_date.strftime("%d %b %Y") in text     # pay by the next stage's date


def test_mha_unavailable_proceeds_without_update_and_the_next_run_retries(externals, vdb, vip_app, registry):
    insert_notices(vdb, [due("V000000001", "ROV", "RD1", vtype="V", vehicle="VIP0001A")])
    add_owners(vdb, [owner("V000000001", name="OLD NAME")])
    externals.mha.fail_always(503)
    out = progress(vdb, registry, externals, vip_app, TODAY)
    assert out["moved"] == 1 and out["mhaFailed"] == 1 and out["dataHiveOk"] == 1
    assert get(vdb, OffenceNoticeOwnerDriver, "V000000001", "O").name == "OLD NAME"   # not updated
    (p,) = all_rows(vdb, PendingCheck)
    assert (p.system, p.stage, p.resolved_at) == ("MHA", "RD1", None)
    assert len(externals.sftp.files()) == 1                          # the letter went with the existing address
    externals.mha.reset()
    out = progress(vdb, registry, externals, vip_app, TODAY + dt.timedelta(days=1))
    assert out["pendingChecksResolved"] == 1
    (p,) = all_rows(vdb, PendingCheck)
    assert p.resolved_at is not None
    assert get(vdb, OffenceNoticeOwnerDriver, "V000000001", "O").name != "OLD NAME"


def test_a_notice_without_an_address_is_held(vdb, externals):
    insert_notices(vdb, [due("S000000001", "ROV", "RD1"), due("S000000002", "ROV", "RD1")])
    add_owners(vdb, [owner("S000000002")])
    externals.mha.fail_always()
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS" and out["counts"]["held"] == 1 and out["counts"]["moved"] == 1
    assert get(vdb, ValidOffenceNotice, "S000000001").last_processing_stage == "ROV"


def test_killed_mid_run_the_rerun_moves_the_rest_and_sends_no_letter_twice(vdb, externals, die_at, fast_retries):
    f = fast_retries / "stage_progression.yaml"
    f.write_text(f.read_text().replace("chunk_size: 200", "chunk_size: 2"))
    insert_notices(vdb, [due(f"S00000000{i}", "RD1", "RD2") for i in range(1, 6)])
    add_owners(vdb, [owner(f"S00000000{i}") for i in range(1, 6)])
    die_at("INSERT INTO ocms_letter_delivery", nth=2)                # dies in the second chunk, after its uploads
    with pytest.raises(Killed):
        run_job_with(vdb, externals.env, JOB)
    assert len([n for n in all_rows(vdb, ValidOffenceNotice) if n.last_processing_stage == "RD2"]) == 2
    assert len(externals.sftp.files()) == 4
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS", out
    assert (out["counts"]["moved"], out["counts"]["lettersFound"], out["counts"]["lettersSent"]) == (3, 2, 1)
    assert set(externals.sftp.uploads.values()) == {1} and len(externals.sftp.uploads) == 5
    assert len(all_rows(vdb, LetterDelivery)) == 5 and len(all_rows(vdb, ChangeOfProcessing)) == 5


def test_sftp_down_fails_the_run_after_the_set_based_moves(vdb, externals):
    insert_notices(vdb, [due("S000000001", "RR3", "CPC"), due("S000000002", "RD1", "RD2")])
    add_owners(vdb, [owner("S000000002")])
    externals.sftp.fail_always()
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "FAILED" and "not delivered" in out["error"]
    assert get(vdb, ValidOffenceNotice, "S000000001").last_processing_stage == "CPC"
    assert get(vdb, ValidOffenceNotice, "S000000002").last_processing_stage == "RD1"
    externals.sftp.reset()
    assert run_job_with(vdb, externals.env, JOB)["counts"]["moved"] == 1


# ---- issue 13 review: LTA failing at ROV is asked again, then handed to an officer (item 1) ------------------
def test_lta_failing_at_rov_is_asked_again_next_run_and_the_owner_recorded(vdb, externals, vip_app, registry):
    from repository.models import ManualReviewQueue
    insert_notices(vdb, [due("V000000001", "NPA", "ROV", vtype="V", vehicle="VIP0001A")])
    externals.lta.fail_always(503)
    out = progress(vdb, registry, externals, vip_app, TODAY)
    assert out["moved"] == 1 and out["ltaFailed"] == 1          # tab 9: continue with the existing data
    (p,) = all_rows(vdb, PendingCheck)
    assert (p.system, p.stage, p.id_no, p.attempts, p.resolved_at) == ("LTA", "ROV", "VIP0001A", 1, None)
    externals.lta.reset()
    externals.lta.set_owner("VIP0001A", {"vehicleRegistrationType": "S"})   # and LTA no longer says VIP
    out = progress(vdb, registry, externals, vip_app, TODAY + dt.timedelta(days=1))
    assert out["ltaOk"] == 1 and out["pendingChecksResolved"] == 1 and out["leftVipFlow"] == 1
    (p,) = all_rows(vdb, PendingCheck)
    assert p.resolved_at is not None
    o = get(vdb, OffenceNoticeOwnerDriver, "V000000001", "O")
    assert o.is_current == "Y" and o.id_no
    assert get(vdb, ValidOffenceNotice, "V000000001").vehicle_registration_type == "S"
    assert all_rows(vdb, ManualReviewQueue) == []


def test_lta_failing_lta_max_attempts_times_queues_the_notice_for_an_officer(vdb, externals, vip_app, registry):
    from repository.models import ManualReviewQueue
    insert_notices(vdb, [due("V000000001", "NPA", "ROV", vtype="V", vehicle="VIP0001A")])
    externals.lta.fail_always(503)
    max_attempts = registry.get("stage_progression").parameters["lta_max_attempts"]
    for d in range(max_attempts):
        progress(vdb, registry, externals, vip_app, TODAY + dt.timedelta(days=d))
    (p,) = all_rows(vdb, PendingCheck)
    assert p.attempts == max_attempts and p.resolved_at is not None
    (review,) = all_rows(vdb, ManualReviewQueue)
    assert (review.notice_no, review.review_type, review.status) == ("V000000001", "LTA_FAILED", "OPEN")
    assert review.details["vehicleNo"] == "VIP0001A" and "503" in review.reason
    calls = len(externals.lta.calls)
    out = progress(vdb, registry, externals, vip_app, TODAY + dt.timedelta(days=max_attempts))
    assert len(externals.lta.calls) == calls and out["ltaFailed"] == 0   # closed: not asked again
    assert len(all_rows(vdb, ManualReviewQueue)) == 1


# ---- issue 13 review: a system that is down is given up on for the rest of the run (item 5) -----------------
@pytest.mark.parametrize("system", ["mha", "datahive"])
def test_a_system_down_is_given_up_on_and_every_notice_proceeds_without_update(vdb, externals, vip_app, registry,
                                                                               system):
    n = 6
    insert_notices(vdb, [due(f"S00000000{i}", "ROV", "RD1") for i in range(1, n + 1)])
    add_owners(vdb, [owner(f"S00000000{i}", id_no=f"S123456{i}D") for i in range(1, n + 1)])
    getattr(externals, system).fail_always(503)
    params = registry.get("stage_progression").parameters
    retries, give_up = params[f"{system}_retries"], params["give_up_after_failures"]
    out = progress(vdb, registry, externals, vip_app, TODAY)
    assert out["moved"] == n and out["held"] == 0                  # proceed without the update (tab 9)
    assert out["lettersSent"] == n                                 # the existing addresses
    # the first notice: 1 try + its retries; then one attempt each until give_up failures; then no call at all
    assert len(getattr(externals, system).calls) == (1 + retries) + (give_up - 1)
    name = {"mha": "MHA", "datahive": "DATAHIVE"}[system]
    assert out["callsNotMade"][name] == n - give_up
    assert sorted(p.notice_no for p in all_rows(vdb, PendingCheck) if p.system == name) == \
        [f"S00000000{i}" for i in range(1, n + 1)]                  # every one retried next run
    getattr(externals, system).reset()
    out = progress(vdb, registry, externals, vip_app, TODAY + dt.timedelta(days=1))
    assert out["pendingChecksResolved"] == n


def test_a_success_closes_the_breaker_again():
    from api.clients.json_api import Breaker, CircuitOpen
    b = Breaker("MHA", threshold=2)
    b.failed()
    assert b.degraded and not b.open
    b.succeeded()
    assert not b.degraded
    b.failed(), b.failed()
    with pytest.raises(CircuitOpen):
        b.before_call()
    assert b.skipped == 1


def test_mha_down_and_no_address_moves_the_notice_and_queues_its_letter(vdb, externals, vip_app, registry):
    from repository.models import ManualReviewQueue
    insert_notices(vdb, [due("S000000001", "ROV", "RD1")])
    add_owners(vdb, [owner("S000000001", street_name=None, postal_code=None)])
    externals.mha.fail_always(503)
    out = progress(vdb, registry, externals, vip_app, TODAY)
    assert out["moved"] == 1 and out["held"] == 0 and out["lettersNotAddressed"] == 1 and out["lettersSent"] == 0
    assert get(vdb, ValidOffenceNotice, "S000000001").last_processing_stage == "RD1"
    (review,) = all_rows(vdb, ManualReviewQueue)
    assert (review.notice_no, review.review_type) == ("S000000001", "LETTER_NO_ADDRESS")


# ---- issue 13 review item 9: a failed run keeps the counts of what it did --------------------------------------
def test_a_run_that_fails_records_the_counts_done_so_far(vdb, externals):
    from repository.models import BatchJobRun
    insert_notices(vdb, [due("S000000001", "RR3", "CPC"), due("S000000002", "RD1", "RD2")])
    add_owners(vdb, [owner("S000000002")])
    import socket
    with socket.socket() as free:                   # a port nobody listens on: the print vendor's server is gone
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    out = run_job_with(vdb, {**externals.env, "OCMS_SFTP_PORT": str(port)}, JOB)
    assert out["status"] == "FAILED"
    (run,) = all_rows(vdb, BatchJobRun, job_name=JOB)
    assert run.status == "FAILED" and run.counts is not None
    assert run.counts["moved"] == 1 and run.counts["byStage"] == {"CPC": 1} and run.counts["due"] >= 1
    assert run.counts["mhaOk"] == 1
    assert get(vdb, ValidOffenceNotice, "S000000002").last_processing_stage == "RD1"


@pytest.mark.parametrize("pp_name, pp_code, place", [(None, None, None), ("   ", None, None), ("", "A0001", "A0001"),
                                                     ("  Bedok  North  ", None, "Bedok North")])
def test_a_reminder_letter_without_car_park_text_reads_right(vdb, externals, pp_name, pp_code, place):
    """Issue 13 review item 10: an empty car park printed 'at  on'."""
    insert_notices(vdb, [due("S000000001", "ROV", "RD1", pp_name=pp_name, pp_code=pp_code)])
    add_owners(vdb, [owner("S000000001")])
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS" and out["counts"]["lettersSent"] == 1, out
    (f,) = externals.sftp.files()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO((externals.sftp.root / f).read_bytes())).pages).split())
    assert "at on" not in text and " at  " not in text
    if place is None:
        assert "parked in breach of the parking rules on" in text
    else:
        assert f"parking rules at {place} on" in text


def test_a_backdated_run_stamps_audit_times_with_the_real_clock_and_stage_dates_with_its_key(vdb, externals):
    """``--key yesterday`` run today: the stage date is yesterday (business "as of"); delivered_at, the MHA check
    and upd_date are when they happened (review finding: they were stamped yesterday at this time of day)."""
    yesterday = TODAY - dt.timedelta(days=1)
    insert_notices(vdb, [due("V000000001", "ROV", "RD1", in_days=-2, vtype="V", vehicle="VIP0001A",
                             amount_payable=70)])
    add_owners(vdb, [owner("V000000001", street_name=None, postal_code=None)])
    externals.mha.set_particulars("S1234567D", {"name": "TAN AH KOW", "blockHouseNo": "9", "streetName": "BEDOK ROAD",
                                                "unitNumber": "#01-02", "postalCode": "460009", "buildingName": None})
    externals.datahive.set_contact("S1234567D", mobile="91234567", email="tan@example.com")
    before = now()
    out = run_job_with(vdb, externals.env, JOB, key=yesterday.isoformat())
    after = now()
    assert out["status"] == "SUCCESS" and out["counts"]["moved"] == 1, out
    v = get(vdb, ValidOffenceNotice, "V000000001")
    assert v.last_processing_stage == "RD1" and v.last_processing_date.date() == yesterday   # as of the key
    assert before <= v.upd_date <= after                                                     # when it happened
    (letter,) = all_rows(vdb, LetterDelivery)
    assert before <= letter.delivered_at <= after, letter.delivered_at
    o = get(vdb, OffenceNoticeOwnerDriver, "V000000001", "O")
    assert before <= o.mha_checked_date <= after, o.mha_checked_date
