"""Several an-notifications runners at once, and a runner killed (SIGKILL) in the middle of its sends.

Real processes (``python -m api.cli jobs run an-notifications``) against the
simulators of this test process over loopback: each runner claims its own
rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and no notice gets two SMS,
two emails or two letters.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from repository.models import AnNotification, ManualReviewQueue, SuspendedNotice
from simulators.people import nric_for

from .conftest import many, rows


@pytest.fixture
def runner_rules(fast_rules):
    """Small batches (so four runners all get work) and SMS calls that may take 30 s (the kill test holds them)."""
    f = fast_rules / "an_notification_route.yaml"
    text = re.sub(r"batch_size: \d+", "batch_size: 10", f.read_text())
    text = re.sub(r"sms_timeout_seconds: \d+", "sms_timeout_seconds: 30", text)
    f.write_text(text)
    return fast_rules


def _env(napp, systems, tmp_path) -> dict:
    return {**os.environ, "OCMS_DATABASE_URL": napp.config["OCMS_DATABASE_URL"],
            "OCMS_RULES_DIR": napp.config["OCMS_RULES_DIR"], "OCMS_AN_LETTER_DIR": str(tmp_path / "letters"),
            "OCMS_LOG_LEVEL": "WARNING", **systems.env}


def _start(env, key):
    return subprocess.Popen([sys.executable, "-m", "api.cli", "jobs", "run", "an-notifications", "--key", key],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _per_notice(systems) -> tuple[Counter, Counter, Counter]:
    sms = Counter(m["message"].split("\n")[0].split()[-1] for m in systems.sms.sent)
    email = Counter(m["subject"].split()[2] for m in systems.email.sent)
    letters = Counter(s["noticeNumber"] for s in systems.slift.submissions)
    return sms, email, letters


def test_four_runners_share_the_work_without_doubles(runner_rules, napp, ndb, systems, tmp_path, db_engine):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("several runners at once need PostgreSQL (SQLite: one runner at a time, the job's file lock)")
    nos = many(ndb, 200)
    env = _env(napp, systems, tmp_path)
    procs = [_start(env, f"concurrent-{i}") for i in range(4)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out))
    assert [r["status"] for r in results] == ["SUCCESS"] * 4
    claimed = [r["counts"]["claimed"] for r in results]
    assert sum(claimed) == 200 and sum(1 for c in claimed if c) >= 2, claimed   # shared, each row claimed once
    work = rows(ndb, AnNotification)
    assert len(work) == 200 and {w.status for w in work} <= {"DONE", "REVIEW"}
    assert all(w.attempts == 1 for w in work)
    sms, email, letters = _per_notice(systems)
    assert max([*sms.values(), *email.values(), *letters.values()]) == 1          # never two of one kind
    assert set(sms) | set(email) | set(letters) <= set(nos) and len(set(sms) | set(email) | set(letters)) == 200
    done = {w.notice_no for w in work if w.status == "DONE"}
    assert {s.notice_no for s in rows(ndb, SuspendedNotice)} == done             # PS-ANS once per notified notice
    assert len(rows(ndb, SuspendedNotice)) == len(done)


def test_runner_killed_during_its_sms_calls_then_rerun(runner_rules, napp, ndb, systems, tmp_path):
    nos = many(ndb, 30)
    for i in range(30):                         # every owner reachable by SMS only
        systems.datahive.set_contact(nric_for(f"SN{i}A"), mobile=f"9{i:07d}", email=None)
    systems.sms.time_out_next(1000, delay=3)    # each SMS takes 3 s to be accepted (the runner's limit is 30 s)
    env = _env(napp, systems, tmp_path)
    proc = _start(env, "killed")
    try:
        deadline = time.monotonic() + 120
        # the whole first batch (10) in flight at the gateway
        while time.monotonic() < deadline and len(systems.sms.calls_to("/send")) < 10 and proc.poll() is None:
            time.sleep(0.05)
        assert systems.sms.calls_to("/send"), "the runner never reached its SMS calls: " + (proc.stderr.read()
                                                                                           if proc.poll() else "")
        proc.send_signal(signal.SIGKILL)        # dies with SMS in flight: the gateway still delivers them
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    in_flight = len(systems.sms.calls_to("/send"))
    systems.sms.time_out_next(0, delay=0)
    time.sleep(3.5)                             # the held calls complete at the gateway
    sending = [w for w in rows(ndb, AnNotification) if w.sms_result == "SENDING"]
    assert sending, "the kill came before any SMS intent was recorded"
    again = subprocess.run([sys.executable, "-m", "api.cli", "jobs", "run", "an-notifications", "--key", "rerun"],
                           env=env, capture_output=True, text=True, timeout=300)
    result = json.loads(again.stdout)
    assert result["status"] == "SUCCESS", again.stderr[-3000:]
    assert result["counts"]["releasedDeadClaims"] >= 1
    work = {w.notice_no: w for w in rows(ndb, AnNotification)}
    assert {w.status for w in work.values()} <= {"DONE", "REVIEW"} and len(work) == 30
    sms, email, letters = _per_notice(systems)
    assert max(sms.values()) == 1 and (not letters or max(letters.values()) == 1), (sms, letters)
    doubted = {no for no, w in work.items() if w.sms_result == "IN_DOUBT"}
    assert doubted == {w.notice_no for w in sending}
    assert len(systems.sms.calls_to("/send")) == 30 and in_flight <= 30   # one SMS call per notice, whatever happened
    for no in doubted:                          # an SMS in doubt is not sent again: the letter follows
        assert work[no].letter_result == "SUCCESS" and letters[no] == 1
    assert all(work[no].sms_result == "SUCCESS" for no in set(nos) - doubted)
    assert rows(ndb, ManualReviewQueue) == []
