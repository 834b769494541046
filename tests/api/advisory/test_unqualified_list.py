"""Unqualified-AN list job (OCMS 10 §3.9) against the REPCCS/CES receiver simulators over loopback HTTP."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from simulators.an_receivers import AnReceiverSimulator
from repository.models import BatchJobRun, DecisionLog, UnqualifiedAnTransmissionLog, ValidOffenceNotice
from repository import business_time

DAY = dt.date(2026, 1, 14)
KEY = DAY.isoformat()
JOB = "unqualified-an-list"


@pytest.fixture
def repccs():
    with AnReceiverSimulator("REPCCS", api_key="repccs-secret") as sim:
        yield sim


@pytest.fixture
def ces():
    with AnReceiverSimulator("CES", api_key="ces-secret") as sim:
        yield sim


@pytest.fixture
def env(repccs, ces):
    """The job's settings: both receivers, short backoff and timeout so failures are quick."""
    return {"OCMS_REPCCS_URL": repccs.url, "OCMS_CES_URL": ces.url, "OCMS_REPCCS_API_KEY": "repccs-secret",
            "OCMS_CES_API_KEY": "ces-secret", "OCMS_UNQUALIFIED_AN_BACKOFF": "0.01",
            "OCMS_UNQUALIFIED_AN_TIMEOUT": "0.5"}


def _row(no, subsystem, created=dt.datetime(2026, 1, 14, 9, 0), an_flag="N", sent=None):
    return {"notice_no": no, "vehicle_no": f"SBA{no[-5:]}", "notice_date_and_time": created - dt.timedelta(hours=1),
            "offence_notice_type": "O", "computer_rule_code": 10100, "composition_amount": Decimal("50.00"),
            "subsystem_label": subsystem, "an_flag": an_flag, "unqualified_list_sent_flag": sent,
            "cre_date": created, "cre_user_id": "ocmsiz_app_conn"}


def _insert(db, rows):
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), rows)
        uow.commit()


def _run(runner, env, *extra):
    r = runner.invoke(["jobs", "run", JOB, "--key", KEY, *extra], env=env)
    return r.exit_code, json.loads(r.output)


def _sent(db) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(ValidOffenceNotice.notice_no)
                             .where(ValidOffenceNotice.unqualified_list_sent_flag == "Y")))


def _log(db) -> list[tuple]:
    with db.session() as s:
        rows = s.scalars(select(UnqualifiedAnTransmissionLog).order_by(UnqualifiedAnTransmissionLog.id))
        return [(r.subsystem, r.total_count, r.success_count, r.failed_count, r.retry_count, r.status) for r in rows]


def _bulk(prefix: str, n: int, subsystem: str, start: int = 0) -> list[dict]:
    base = dt.datetime(2026, 1, 14, 0, 0)
    return [_row(f"{prefix}{i:07d}X", subsystem, created=base + dt.timedelta(seconds=30 * i))
            for i in range(start, start + n)]


# ---- selection and split ------------------------------------------------------------------
def test_split_between_repccs_and_ces_and_what_is_left_out(runner, db, env, repccs, ces):
    _insert(db, [
        _row("R00000001A", "001"), _row("R00000002B", "002", an_flag=None), _row("R00000003C", "029"),
        _row("C00000001A", "030"), _row("C00000002B", "045A"), _row("C00000003C", "230EHT", an_flag=None),
        _row("X00000001A", "001", an_flag="Y"),                                # qualified AN
        _row("X00000002B", "030", sent="Y"),                                   # already sent
        _row("X00000003C", "001", created=dt.datetime(2026, 1, 13, 23, 59)),   # the day before
        _row("X00000004D", "030", created=dt.datetime(2026, 1, 15, 0, 0)),     # the day after
        _row("X00000005E", None), _row("X00000006F", "ABC"),                   # neither system
        _row("R00000004D", "005", created=dt.datetime(2026, 1, 14, 23, 59, 59)),
        _row("C00000004D", "999", created=dt.datetime(2026, 1, 14, 0, 0)),
    ])
    with db.unit_of_work() as uow:  # the reason comes from the latest an_qualification decision
        uow.session.add_all([
            DecisionLog(ruleset="an_qualification", subject="R00000001A", outcome="NOT_QUALIFIED",
                        outputs={"message": "Offense exempt from AN"}, decided_at=dt.datetime(2026, 1, 14, 9)),
            DecisionLog(ruleset="an_qualification", subject="R00000001A", outcome="NOT_QUALIFIED",
                        outputs={"message": "No qualifying offense in past 24 months"},
                        decided_at=dt.datetime(2026, 1, 14, 10)),
        ])
        uow.commit()
    code, out = _run(runner, env)
    assert code == 0 and out["status"] == "SUCCESS", out
    assert set(repccs.delivered) == {"R00000001A", "R00000002B", "R00000003C", "R00000004D"}
    assert set(ces.delivered) == {"C00000001A", "C00000002B", "C00000003C", "C00000004D"}
    assert _sent(db) == set(repccs.delivered) | set(ces.delivered) | {"X00000002B"}
    assert out["counts"]["REPCCS"]["accepted"] == 4 and out["counts"]["CES"]["batches"] == 1
    assert _log(db) == [("REPCCS", 4, 4, 0, 0, "SUCCESS"), ("CES", 4, 4, 0, 0, "SUCCESS")]

    received = repccs.bodies[-1]
    assert received["transmissionDate"] == business_time.today().isoformat()
    by_no = {n["noticeNo"]: n for n in received["unqualifiedNotices"]}
    assert by_no["R00000001A"] == {"noticeNo": "R00000001A", "vehicleNo": "SBA0001A", "subsystemLabel": "001",
                                   "noticeDate": "2026-01-14T08:00:00",
                                   "reason": "No qualifying offense in past 24 months"}
    assert by_no["R00000002B"]["reason"] == "Not qualified as Advisory Notice"
    with db.session() as s:
        n = s.get(ValidOffenceNotice, "C00000001A")
        assert n.upd_user_id == "ocmsiz_cron" and n.unqualified_list_sent_timestamp is not None


def test_repccs_subsystems_are_the_rulesets(runner, db, env, repccs, ces, app):
    """An analyst names REPCCS's subsystems in rules/unqualified_an_receiver.yaml; no code change."""
    from pathlib import Path
    rules = Path(app.config["OCMS_RULES_DIR"]) / "unqualified_an_receiver.yaml"
    text = rules.read_text()
    assert 'matches: "0[0-2][0-9].*"' in text
    rules.write_text(text.replace('matches: "0[0-2][0-9].*"', 'matches: "001.*|RP.*"'))
    _insert(db, [_row("R00000001A", "001"), _row("R00000002B", "RP7"), _row("X00000001A", "002"),
                 _row("C00000001A", "030")])
    code, _ = _run(runner, env)
    assert code == 0
    assert set(repccs.delivered) == {"R00000001A", "R00000002B"} and set(ces.delivered) == {"C00000001A"}
    assert "X00000001A" not in _sent(db)  # a subsystem of neither system is not sent


# ---- batching ----------------------------------------------------------------------------------
def test_batches_of_1000_each_committed(runner, db, env, repccs, ces):
    _insert(db, _bulk("5", 2100, "001") + _bulk("6", 150, "030"))
    code, out = _run(runner, env)
    assert code == 0, out
    assert [len(b) for b in repccs.batches] == [1000, 1000, 100]
    assert [len(b) for b in ces.batches] == [150]
    assert repccs.batches[0][0] == "50000000X" and repccs.batches[2][-1] == "50002099X"  # creation order
    assert max(repccs.delivered.values()) == 1 and len(repccs.delivered) == 2100
    assert len(_sent(db)) == 2250
    assert _log(db) == [("REPCCS", 1000, 1000, 0, 0, "SUCCESS")] * 2 + [("REPCCS", 100, 100, 0, 0, "SUCCESS"),
                                                                        ("CES", 150, 150, 0, 0, "SUCCESS")]
    assert out["counts"]["REPCCS"] == {"selected": 2100, "accepted": 2100, "rejected": 0, "undelivered": 0,
                                       "batches": 3, "retries": 0, "dbErrors": 0}


# ---- receiver behaviour ------------------------------------------------------------------------
def test_partial_acceptance_marks_only_accepted(runner, db, env, repccs, ces):
    _insert(db, _bulk("5", 10, "001") + _bulk("6", 3, "030"))
    repccs.reject({"50000002X", "50000007X"}, "Unknown vehicle")
    code, out = _run(runner, env)
    assert code == 0 and out["status"] == "SUCCESS"
    assert _log(db) == [("REPCCS", 10, 8, 2, 0, "PARTIAL"), ("CES", 3, 3, 0, 0, "SUCCESS")]
    assert {"50000002X", "50000007X"}.isdisjoint(_sent(db)) and len(_sent(db)) == 11
    assert out["counts"]["REPCCS"]["rejected"] == 2
    # The day is done; --force offers the refused ones again, and only them.
    assert _run(runner, env)[1]["status"] == "ALREADY_DONE"
    repccs.reset()
    code, out = _run(runner, env, "--force")
    assert code == 0 and repccs.batches == [["50000002X", "50000007X"]] and len(ces.batches) == 1
    assert len(_sent(db)) == 13


def test_receiver_failing_twice_then_succeeding(runner, db, env, repccs, ces):
    _insert(db, _bulk("5", 5, "001"))
    repccs.fail_next(2)
    code, out = _run(runner, env)
    assert code == 0, out
    assert [c["outcome"] for c in repccs.calls] == ["503", "503", "ok"]
    assert _log(db) == [("REPCCS", 5, 5, 0, 2, "SUCCESS")]
    assert len(_sent(db)) == 5 and out["counts"]["REPCCS"]["retries"] == 2


def test_receiver_always_failing_then_a_later_run_sends(runner, db, env, repccs, ces):
    _insert(db, _bulk("5", 2100, "001") + _bulk("6", 20, "030"))
    repccs.fail_always()
    code, out = _run(runner, env)
    assert code == 1 and out["status"] == "FAILED"
    assert "REPCCS: 2100 notices undelivered" in out["error"]
    assert [c["outcome"] for c in repccs.calls] == ["503"] * 4   # first try + 3 retries, then stop
    assert _log(db) == [("REPCCS", 1000, 0, 1000, 3, "FAILED"), ("CES", 20, 20, 0, 0, "SUCCESS")]
    assert len(_sent(db)) == 20   # CES went through; no REPCCS notice marked
    with db.session() as s:
        run = s.scalars(select(BatchJobRun).where(BatchJobRun.job_name == JOB)).one()
        assert (run.run_key, run.status) == (KEY, "FAILED")
        assert run.counts["REPCCS"]["undelivered"] == 2100 and run.counts["CES"]["accepted"] == 20

    repccs.reset()    # REPCCS is back: the next run of the same day (no --force) sends the rest
    code, out = _run(runner, env)
    assert code == 0 and out["status"] == "SUCCESS"
    assert [len(b) for b in repccs.batches] == [1000, 1000, 100] and len(ces.batches) == 1  # CES not again
    assert len(_sent(db)) == 2120 and max(ces.delivered.values()) == 1


def test_timeout_is_retried_and_delivered_once(runner, db, env, repccs, ces):
    _insert(db, _bulk("5", 5, "001"))
    repccs.time_out_next(1, delay=1.5)   # the client gives up after 0.5 s
    code, out = _run(runner, env)
    assert code == 0, out
    assert _log(db) == [("REPCCS", 5, 5, 0, 1, "SUCCESS")]
    assert len(_sent(db)) == 5
    _wait_for(lambda: len(repccs.calls) == 2)
    assert sorted(c["outcome"] for c in repccs.calls) == ["ok", "replay"]   # the late one was a repeat
    assert set(repccs.delivered.values()) == {1}


def test_wrong_api_key_is_not_retried(runner, db, env, repccs, ces):
    _insert(db, _bulk("5", 3, "001"))
    code, out = _run(runner, {**env, "OCMS_REPCCS_API_KEY": "wrong"})
    assert code == 1 and "HTTP 401" in out["error"]
    assert [c["outcome"] for c in repccs.calls] == ["401"]
    assert _log(db) == [("REPCCS", 3, 0, 3, 0, "FAILED")] and _sent(db) == set()


# ---- idempotency -------------------------------------------------------------------------------
def test_rerun_sends_nothing_twice(runner, db, env, repccs, ces):
    _insert(db, _bulk("5", 1200, "001") + _bulk("6", 30, "030"))
    assert _run(runner, env)[0] == 0
    assert _run(runner, env)[1]["status"] == "ALREADY_DONE"
    code, out = _run(runner, env, "--force")
    assert code == 0 and out["counts"]["REPCCS"]["selected"] == 0 and out["counts"]["CES"]["selected"] == 0
    assert len(repccs.batches) == 2 and len(ces.batches) == 1
    assert set(repccs.delivered.values()) == {1} and set(ces.delivered.values()) == {1}


def test_rerun_after_a_crash_finishes_the_job(app, db, repccs, ces, env):
    """The process dies after the first page: that page stays committed, the re-run sends the rest."""
    from api.clients.repccs import repccs_client
    from api.config import load_config
    from api.jobs import run_job
    from api.advisory.unqualified_list import send_unqualified_an_list

    _insert(db, _bulk("5", 2100, "001"))
    config = load_config({**env, "OCMS_DATABASE_URL": app.config["OCMS_DATABASE_URL"]})

    class CrashAfterFirstPage:
        def __init__(self):
            self.real, self.calls = repccs_client(config), 0

        def send(self, *args):
            self.calls += 1
            if self.calls == 2:
                raise SystemExit("killed")   # the process dies mid-run
            return self.real.send(*args)

    from api.clients.ces import ces_client
    with pytest.raises(SystemExit):
        with db.unit_of_work() as uow:
            send_unqualified_an_list(uow, DAY, config, clients={"REPCCS": CrashAfterFirstPage(),
                                                                "CES": ces_client(config)})
    assert len(_sent(db)) == 1000 and _log(db) == [("REPCCS", 1000, 1000, 0, 0, "SUCCESS")]

    import os
    from unittest import mock
    with mock.patch.dict(os.environ, env):
        outcome = run_job(db, JOB, KEY)
    assert outcome["status"] == "SUCCESS" and outcome["counts"]["REPCCS"]["selected"] == 1100
    assert len(_sent(db)) == 2100 and set(repccs.delivered.values()) == {1}
    assert [len(b) for b in repccs.batches] == [1000, 1000, 100]


def test_default_key_is_the_previous_day(runner, db, env, repccs, ces):
    yesterday = dt.datetime.combine(business_time.today() - dt.timedelta(days=1), dt.time(12, 0))
    _insert(db, [_row("R00000001A", "001", created=yesterday), _row("R00000002B", "001")])
    r = runner.invoke(["jobs", "run", JOB], env=env)
    out = json.loads(r.output)
    assert r.exit_code == 0 and out["runKey"] == yesterday.date().isoformat()
    assert set(repccs.delivered) == {"R00000001A"}


def test_bad_key_fails_the_run(runner, env):
    r = runner.invoke(["jobs", "run", JOB, "--key", "yesterday"], env=env)
    out = json.loads(r.output)
    assert r.exit_code == 1 and out["status"] == "FAILED" and "YYYY-MM-DD" in out["error"]


def _wait_for(condition, seconds: float = 5.0) -> None:
    import time
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


# ---- §3.9 "alert admin after 3 failures" ---------------------------------------------------------------------
@pytest.fixture
def alert_env(env, smtp):
    return {**env, "OCMS_SMTP_HOST": smtp.host, "OCMS_SMTP_PORT": str(smtp.port),
            "OCMS_ALERT_FROM": "ocms@example.com", "OCMS_ALERT_TO": "ocms-admin@example.com"}


def test_receiver_failing_after_its_retries_alerts_the_administrator(runner, db, alert_env, repccs, ces, smtp):
    _insert(db, _bulk("5", 1500, "001") + _bulk("6", 3, "030"))
    repccs.fail_always()
    code, out = _run(runner, alert_env)
    assert code == 1 and out["status"] == "FAILED"
    [mail] = smtp.wait_for(1)
    assert list(mail.recipients) == ["ocms-admin@example.com"] and mail.sender == "ocms@example.com"
    assert mail.subject == f"[OCMS] {JOB} {KEY}: REPCCS failed after 4 attempt(s)"
    assert "REPCCS:" in mail.body and "CES:" not in mail.body
    assert f"POST {repccs.url}/unqualified-an-list" in mail.body and "HTTP 503" in mail.body
    assert "Left to send: 1500 notices" in mail.body
    assert f"ocms jobs run {JOB} --key {KEY}" in mail.body
    with db.session() as s:
        run = s.scalars(select(BatchJobRun).where(BatchJobRun.job_name == JOB)).one()
        assert run.counts["alertSent"] is True


def test_both_receivers_failing_is_one_alert_naming_both(runner, db, alert_env, repccs, ces, smtp):
    _insert(db, _bulk("5", 2, "001") + _bulk("6", 2, "030"))
    repccs.fail_always()
    ces.fail_always()
    code, out = _run(runner, alert_env)
    assert code == 1
    [mail] = smtp.wait_for(1)
    assert "REPCCS, CES failed" in mail.subject and "REPCCS:" in mail.body and "CES:" in mail.body
    assert smtp.wait_for(2, timeout=0.3) == [mail]


def test_no_alert_when_the_retries_succeed_or_a_notice_is_refused_by_name(runner, db, alert_env, repccs, ces, smtp):
    _insert(db, _bulk("5", 3, "001"))
    repccs.fail_next(2)
    repccs.reject(["50000001X"])
    code, out = _run(runner, alert_env)
    assert code == 0 and "alertSent" not in out["counts"]
    assert smtp.wait_for(1, timeout=0.3) == []


def test_alert_that_cannot_be_sent_is_recorded(runner, db, alert_env, repccs, ces):
    from simulators.runner import free_port
    _insert(db, _bulk("5", 2, "001"))
    repccs.fail_always()
    code, out = _run(runner, {**alert_env, "OCMS_SMTP_PORT": str(free_port())})
    assert code == 1
    with db.session() as s:
        run = s.scalars(select(BatchJobRun).where(BatchJobRun.job_name == JOB)).one()
        assert run.counts["alertSent"] is False
