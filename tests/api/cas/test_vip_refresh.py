"""CAS API 3, refresh VIP vehicle: the job against the CAS simulator over loopback and a local SMTP server.

No mocks of ``requests``: the client talks HTTP to :class:`simulators.cas.CasSimulator`,
alerts go over SMTP to :class:`simulators.smtp.SmtpSimulator`, rows are read back with SQL.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from api.jobs import run_job
from simulators.cas import CasSimulator
from api.cas.vip_refresh import JOB_NAME, replace_vip_vehicles
from repository.models import VipVehicle
from repository import business_time

APIM_KEY = "cas-apim-test-key-7f3a"
OPS = "operations@example.com"
KEY = "2026-01-15"
OLD = [
    {"vehicle_no": "SBA1234A", "vip_vehicle": "Y", "description": "Old VIP 1", "status": "ACTIVE"},
    {"vehicle_no": "SBB2345B", "vip_vehicle": "Y", "description": "Old VIP 2", "status": "INACTIVE"},
    {"vehicle_no": "SKC3456C", "vip_vehicle": "Y", "description": None, "status": "ACTIVE"},
]
NEW = [{"vehicleNo": f"SNV{i:04d}Z", "description": f"New VIP {i}", "status": "ACTIVE"} for i in range(1, 8)]
COLUMNS = "vehicle_no, vip_vehicle, description, status, cre_date, cre_user_id"


@pytest.fixture
def cas():
    with CasSimulator(apim_key=APIM_KEY, vehicles=NEW) as sim:
        yield sim


@pytest.fixture
def vip_env(monkeypatch, cas, smtp) -> dict:
    """Point the job at the simulators, with short timeouts and backoff."""
    env = {
        "OCMS_CAS_URL": cas.url, "OCMS_CAS_APIM_KEY": APIM_KEY,
        "OCMS_HTTP_TIMEOUT": "0.5", "OCMS_HTTP_RETRIES": "3", "OCMS_HTTP_BACKOFF": "0.01",
        "OCMS_SMTP_HOST": smtp.host, "OCMS_SMTP_PORT": str(smtp.port),
        "OCMS_ALERT_FROM": "ocms@example.com", "OCMS_ALERT_TO": OPS,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def old_list(db) -> list[tuple]:
    """The list in service before the run (three rows); returns them as read back."""
    stamp = dt.datetime(2026, 1, 1, 2, 0, 0)
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO ocms_vip_vehicle (vehicle_no, vip_vehicle, description, status, cre_date, "
                       "cre_user_id) VALUES (:vehicle_no, :vip_vehicle, :description, :status, :cre_date, 'old')"),
                  [{**r, "cre_date": stamp} for r in OLD])
    return vip_rows(db)


def vip_rows(db) -> list[tuple]:
    """Every row of ocms_vip_vehicle, typed (Core select: SQLite gives datetimes back as datetimes)."""
    t = VipVehicle.__table__
    stmt = select(*(t.c[name.strip()] for name in COLUMNS.split(","))).order_by(t.c.vehicle_no)
    with db.engine.connect() as c:
        return [tuple(r) for r in c.execute(stmt)]


def run_row(db, run_key: str = KEY) -> dict:
    with db.engine.connect() as c:
        row = c.execute(text("SELECT id, status, counts, error_message FROM ocms_batch_job_run "
                             "WHERE job_name = :j AND run_key = :k ORDER BY id DESC"),
                        {"j": JOB_NAME, "k": run_key}).mappings().first()
    row = dict(row)
    if isinstance(row["counts"], str):
        row["counts"] = json.loads(row["counts"])
    return row


def assert_new_list(db, vehicles=NEW) -> None:
    rows = vip_rows(db)
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == sorted(
        (v["vehicleNo"], "Y", v["description"], v["status"], "ocmsiz_app_conn") for v in vehicles)
    stamps = {r[4] for r in rows}
    assert len(stamps) == 1 and abs(stamps.pop() - business_time.now()) < dt.timedelta(minutes=1)


# ---- success, with and without retries -------------------------------------------------------------
def test_fails_twice_then_succeeds_replaces_the_list(db, cas, smtp, vip_env, old_list):
    cas.fail_next(2)
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "SUCCESS", outcome
    assert cas.call_count == 3
    assert outcome["counts"]["attempts"] == 3 and outcome["counts"]["retries"] == 2
    assert outcome["counts"]["vehicles"] == len(NEW) and outcome["counts"]["previous"] == len(OLD)
    assert_new_list(db)
    run = run_row(db)
    assert run["status"] == "SUCCESS" and run["counts"]["attempts"] == 3 and run["error_message"] is None
    assert smtp.messages == []


def test_timeout_then_answer_is_retried(db, cas, smtp, vip_env, old_list):
    cas.time_out_next(1, delay=3)   # longer than the 0.5 s read timeout
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "SUCCESS" and outcome["counts"]["attempts"] == 2
    assert cas.call_count == 2
    assert_new_list(db)


def test_malformed_once_then_good_answer_is_retried(db, cas, smtp, vip_env, old_list):
    cas.malformed_next(1, "count")
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "SUCCESS" and outcome["counts"]["attempts"] == 2
    assert_new_list(db)


# ---- CAS failing for good: alert, list intact, FAILED ---------------------------------------------
def test_always_failing_cas_alerts_operations_and_keeps_the_list(db, cas, smtp, vip_env, old_list, caplog):
    cas.fail_always(500)
    with caplog.at_level(logging.DEBUG):
        outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED"
    assert cas.call_count == 4                       # 1 try + 3 retries
    assert vip_rows(db) == old_list                  # every row, every column, unchanged

    run = run_row(db)
    assert run["status"] == "FAILED"
    assert "after 4 attempt(s)" in run["error_message"] and "HTTP 500" in run["error_message"]
    assert run["counts"]["attempts"] == 4 and run["counts"]["errors"] == ["HTTP 500"] * 4
    assert run["counts"]["alertSent"] is True and run["counts"]["vehiclesKept"] == len(OLD)

    [mail] = smtp.wait_for(1)
    assert mail.sender == "ocms@example.com" and mail.recipients == (OPS,)
    assert JOB_NAME in mail.subject and f"run {run['id']}" in mail.subject and "4 attempt(s)" in mail.subject
    for expected in (f"Job:        {JOB_NAME}", f"Run id:     {run['id']}", f"Run key:    {KEY}",
                     "Attempts:   4 (1 try + 3 retries)", "Last error: HTTP 500", "  4. HTTP 500",
                     f"previous list ({len(OLD)} vehicles) stays in service",
                     f"ocms jobs run {JOB_NAME} --key {KEY}", cas.url + "/v1/cas/refreshVIPVehicle"):
        assert expected in mail.body, expected
    assert APIM_KEY not in mail.body and APIM_KEY not in caplog.text   # the key is never written anywhere


def test_timeouts_are_retried_then_alerted(db, cas, smtp, vip_env, old_list):
    cas.time_out_next(4, delay=3)
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED"
    assert cas.call_count == 4
    assert vip_rows(db) == old_list
    [mail] = smtp.wait_for(1)
    assert "Last error: timeout (ReadTimeout)" in mail.body
    assert run_row(db)["counts"]["errors"] == ["timeout (ReadTimeout)"] * 4


@pytest.mark.parametrize("kind, message", [
    ("not_json", "not JSON"),
    ("count", "'totalCount' is 8 but 'data' holds 7 vehicles"),
    ("duplicate", "appears twice"),
    ("long", "longer than 14 characters"),
    ("shape", "'data' must be a list"),
])
def test_malformed_answers_replace_nothing(db, cas, smtp, vip_env, old_list, kind, message):
    cas.malformed_next(4, kind)
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED" and message in outcome["error"]
    assert cas.call_count == 4
    assert vip_rows(db) == old_list
    [mail] = smtp.wait_for(1)
    assert "malformed response" in mail.body and message in mail.body


def test_empty_list_is_refused(db, cas, smtp, vip_env, old_list):
    cas.set_vehicles([])
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED" and "empty" in outcome["error"]
    assert vip_rows(db) == old_list


def test_wrong_apim_key_is_not_retried(db, cas, smtp, vip_env, old_list, monkeypatch):
    monkeypatch.setenv("OCMS_CAS_APIM_KEY", "wrong-key")
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED"
    assert cas.call_count == 1
    assert vip_rows(db) == old_list
    [mail] = smtp.wait_for(1)
    assert "Last error: HTTP 401" in mail.body and "Attempts:   1" in mail.body


def test_cas_unreachable_is_retried_then_alerted(db, smtp, vip_env, old_list, monkeypatch):
    from simulators.runner import free_port
    monkeypatch.setenv("OCMS_CAS_URL", f"http://127.0.0.1:{free_port()}")   # nobody listens
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED" and run_row(db)["counts"]["attempts"] == 4
    [mail] = smtp.wait_for(1)
    assert "connection failed" in mail.body
    assert vip_rows(db) == old_list


def test_failure_without_smtp_server_is_still_recorded(db, cas, vip_env, old_list, monkeypatch):
    from simulators.runner import free_port
    monkeypatch.setenv("OCMS_SMTP_PORT", str(free_port()))
    cas.fail_always()
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED"
    assert run_row(db)["counts"]["alertSent"] is False
    assert vip_rows(db) == old_list


# ---- database failure: rollback, old list intact ------------------------------------------------------
TRIGGERS = {
    "sqlite": ["CREATE TRIGGER vip_test_boom BEFORE INSERT ON ocms_vip_vehicle "
               "WHEN NEW.vehicle_no = 'BOOM0001' BEGIN SELECT RAISE(ABORT, 'forced insert failure'); END"],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION vip_test_boom() RETURNS trigger AS $$ BEGIN "
        "IF NEW.vehicle_no = 'BOOM0001' THEN RAISE EXCEPTION 'forced insert failure'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER vip_test_boom BEFORE INSERT ON ocms_vip_vehicle "
        "FOR EACH ROW EXECUTE FUNCTION vip_test_boom()"],
}


@pytest.fixture
def failing_insert(db):
    """A trigger that makes the database refuse vehicle BOOM0001 (a real insert failure)."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as c:
        for stmt in TRIGGERS[dialect]:
            c.execute(text(stmt))
    yield "BOOM0001"
    with db.engine.begin() as c:
        on_table = " ON ocms_vip_vehicle" if dialect != "sqlite" else ""
        c.execute(text("DROP TRIGGER IF EXISTS vip_test_boom" + on_table))
        if dialect == "postgresql":
            c.execute(text("DROP FUNCTION IF EXISTS vip_test_boom()"))


def test_insert_failure_rolls_back_and_keeps_the_old_list(db, cas, smtp, vip_env, old_list, failing_insert, caplog):
    vehicles = NEW[:3] + [{"vehicleNo": failing_insert, "description": "x", "status": "ACTIVE"}] + NEW[3:]
    cas.set_vehicles(vehicles)
    with caplog.at_level(logging.ERROR, logger="api.cas.vip_refresh"):
        outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED"
    assert vip_rows(db) == old_list                          # the DELETE and the first inserts rolled back
    run = run_row(db)
    assert run["status"] == "FAILED" and "insert into ocms_vip_vehicle failed" in run["error_message"]
    assert "forced insert failure" in run["error_message"]
    assert run["counts"] == {"attempts": 1, "retries": 0, "vehiclesReceived": len(vehicles)}
    assert any("rolled back, old list kept" in r.getMessage() for r in caplog.records)
    assert smtp.wait_for(1, timeout=0.3) == []              # the spec: logged, no email


def test_duplicate_rows_fail_the_replace_and_roll_back(db, old_list):
    dup = [{"vehicleNo": "DUP1", "description": None, "status": "ACTIVE"}] * 2
    with db.unit_of_work() as uow:
        with pytest.raises(IntegrityError):
            replace_vip_vehicles(uow.session, dup)
    assert vip_rows(db) == old_list


# ---- re-runs and the CLI ------------------------------------------------------------------------------
def test_rerun_after_failure_then_skip_then_force(db, cas, smtp, vip_env, old_list):
    cas.fail_always()
    assert run_job(db, JOB_NAME, KEY)["status"] == "FAILED"
    cas.reset()
    assert run_job(db, JOB_NAME, KEY)["status"] == "SUCCESS"
    assert_new_list(db)
    assert run_job(db, JOB_NAME, KEY)["status"] == "ALREADY_DONE"
    assert cas.call_count == 1                               # the skipped run did not call CAS
    cas.set_vehicles(NEW[:2])
    forced = run_job(db, JOB_NAME, KEY, force=True)
    assert forced["status"] == "SUCCESS" and forced["counts"]["previous"] == len(NEW)
    assert_new_list(db, NEW[:2])
    with db.engine.connect() as c:
        statuses = [r[0] for r in c.execute(text(
            "SELECT status FROM ocms_batch_job_run WHERE job_name = :j ORDER BY id"), {"j": JOB_NAME})]
    assert statuses == ["FAILED", "SUCCESS", "SUCCESS"]


def test_cli_runs_the_job(runner, db, cas, smtp, vip_env, old_list):
    listed = runner.invoke(["jobs", "list"])
    assert JOB_NAME in listed.output

    result = runner.invoke(["jobs", "run", JOB_NAME, "--key", KEY], env=vip_env)
    assert result.exit_code == 0, result.output + result.stderr
    out = json.loads(result.output)
    assert out["status"] == "SUCCESS" and out["counts"]["vehicles"] == len(NEW)
    assert_new_list(db)

    again = runner.invoke(["jobs", "run", JOB_NAME, "--key", KEY], env=vip_env)
    assert again.exit_code == 0 and json.loads(again.output)["status"] == "ALREADY_DONE"

    cas.fail_always()
    failed = runner.invoke(["jobs", "run", JOB_NAME, "--key", KEY, "--force"], env=vip_env)
    assert failed.exit_code == 1 and json.loads(failed.output)["status"] == "FAILED"
    assert_new_list(db)
    assert len(smtp.wait_for(1)) == 1


# ---- OCMS 14 tab 6: the list keeps its status, label status and label expiry date ------------------------------
LABELLED = [
    {"vehicleNo": "SVIP001A", "description": "VIP 1", "status": "ACTIVE", "vipLabelStatus": "VALID",
     "labelExpiryDate": "2026-12-31"},
    {"vehicleNo": "SVIP002B", "description": "VIP 2", "status": "INACTIVE", "vipLabelStatus": "EXPIRED",
     "labelExpiryDate": "2025-06-30"},
    {"vehicleNo": "SVIP003C", "description": None, "status": "ACTIVE", "vipLabelStatus": None,
     "labelExpiryDate": None},
    {"vehicleNo": "SVIP004D", "status": "ACTIVE"},   # CAS sends no label fields: unknown, not an error
]


def test_the_refresh_keeps_label_status_and_expiry_date(db, cas, smtp, vip_env):
    cas.set_vehicles(LABELLED)
    assert run_job(db, JOB_NAME, KEY)["status"] == "SUCCESS"
    t = VipVehicle.__table__
    with db.engine.connect() as c:
        rows = c.execute(select(t.c.vehicle_no, t.c.status, t.c.vip_label_status, t.c.label_expiry_date)
                         .order_by(t.c.vehicle_no)).all()
    assert [tuple(r) for r in rows] == [
        ("SVIP001A", "ACTIVE", "VALID", dt.date(2026, 12, 31)),
        ("SVIP002B", "INACTIVE", "EXPIRED", dt.date(2025, 6, 30)),
        ("SVIP003C", "ACTIVE", None, None),
        ("SVIP004D", "ACTIVE", None, None),
    ]


@pytest.mark.parametrize("bad, message", [
    ({"labelExpiryDate": "31/12/2026"}, "labelExpiryDate must be a date yyyy-MM-dd"),
    ({"labelExpiryDate": "2026-02-30"}, "labelExpiryDate must be a date yyyy-MM-dd"),
    ({"labelExpiryDate": 20261231}, "labelExpiryDate must be a date yyyy-MM-dd"),
    ({"vipLabelStatus": "X" * 11}, "vipLabelStatus must be a string of at most 10 characters"),
    ({"vipLabelStatus": 1}, "vipLabelStatus must be a string of at most 10 characters"),
])
def test_a_malformed_label_field_refuses_the_whole_answer(db, cas, smtp, vip_env, old_list, bad, message):
    cas.set_vehicles([{**LABELLED[0], **bad}, *LABELLED[1:]])
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED" and message in outcome["error"]
    assert vip_rows(db) == old_list


def test_the_simulator_malformed_date_kind_is_refused(db, cas, smtp, vip_env, old_list):
    cas.malformed_next(4, "date")
    outcome = run_job(db, JOB_NAME, KEY)
    assert outcome["status"] == "FAILED" and "labelExpiryDate" in outcome["error"]
def test_vip_vehicle_numbers_are_normalised_and_spellings_of_one_vehicle_are_a_duplicate():
    from api.clients.cas import validate_vip_response
    from api.clients.http import MalformedResponse
    got = validate_vip_response({"data": [{"vehicleNo": " sjv 1a", "status": "ACTIVE"},
                                          {"vehicleNo": "SJV2B", "status": "ACTIVE"}], "totalCount": 2})
    assert [v["vehicleNo"] for v in got] == ["SJV1A", "SJV2B"]
    with pytest.raises(MalformedResponse, match="appears twice"):
        validate_vip_response({"data": [{"vehicleNo": "SJV1A", "status": "ACTIVE"},
                                        {"vehicleNo": "sjv 1a", "status": "ACTIVE"}], "totalCount": 2})


def test_vip_status_is_a_code_kept_upper_case():
    from api.clients.cas import validate_vip_response
    got = validate_vip_response({"data": [{"vehicleNo": "SJV1A", "status": " active "},
                                          {"vehicleNo": "SJV2B", "status": "Inactive"}], "totalCount": 2})
    assert [v["status"] for v in got] == ["ACTIVE", "INACTIVE"]
