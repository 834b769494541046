"""Two ``ocms scheduler`` processes and two manual ``ocms jobs run`` racing on one database: each key runs once.

Real processes on the database under test (PostgreSQL when
``OCMS_DATABASE_URL`` names one: advisory locks; SQLite: file locks). The job
``test-slow`` (tests/api/jobs/slow_job.py) sleeps long enough for the racers to
meet, then writes its key to a file: that file tells how often each key
really ran, ``ocms_batch_job_run`` what each runner recorded.
"""
from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text

from api.jobs import run_job
from api.jobs.locks import ANY_KEY, advisory_key
from repository.models import BatchJobRun
from simulators.runner import free_port
from tests.api.jobs.slow_job import JOB
from tests.serve_helpers import wait_for

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def ocms_process(args: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    """``ocms <args>`` in a subprocess that knows the ``test-slow`` job."""
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.api.jobs.slow_job", *args], cwd=PROJECT_ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT)


def executions(path: Path) -> collections.Counter:
    if not path.exists():
        return collections.Counter()
    return collections.Counter(line.split()[0] for line in path.read_text().splitlines() if line.strip())


def rows(db, key: str | None = None) -> list[tuple[str, str]]:
    with db.session() as s:
        stmt = select(BatchJobRun.run_key, BatchJobRun.status).where(BatchJobRun.job_name == JOB)
        if key:
            stmt = stmt.where(BatchJobRun.run_key == key)
        return list(s.execute(stmt.order_by(BatchJobRun.id)).all())


@pytest.fixture
def env(app, tmp_path):
    return {**os.environ, "OCMS_DATABASE_URL": app.config["OCMS_DATABASE_URL"],
            "OCMS_RULES_DIR": app.config["OCMS_RULES_DIR"], "OCMS_LOG_FORMAT": "json",
            "OCMS_TEST_JOB_LOG": str(tmp_path / "executions.txt"), "OCMS_TEST_SLEEP": "1.5"}


def test_two_schedulers_and_two_manual_runs_run_each_key_once(db, env, tmp_path):
    timetable = tmp_path / "timetable.yaml"
    timetable.write_text('jobs:\n  test-slow: {every: 2s, key: "{fire:%Y%m%dT%H%M%S}"}\n')
    logs = [tmp_path / f"scheduler{i}.log" for i in (1, 2)]
    mport = free_port()
    schedulers = [ocms_process(["scheduler", "--timetable", str(timetable)]
                               + (["--metrics-bind", f"127.0.0.1:{mport}"] if i == 0 else []), env, log)
                  for i, log in enumerate(logs)]
    manual_log = tmp_path / "manual.log"
    try:
        # Both schedulers are up once each has fired (it logs every step as JSON).
        wait_for(lambda: all('"event": "job"' in log.read_text() for log in logs if log.exists())
                   and all(log.exists() for log in logs), what="both schedulers running jobs")
        # Two operators run the same key by hand at the same moment, while the schedulers fire.
        manual = [ocms_process(["jobs", "run", JOB, "--key", "MANUAL-1"], env, manual_log) for _ in range(2)]
        codes = [p.wait(120) for p in manual]
        # On SQLite the lock is per job: a scheduler's run may hold it; an operator then runs the key again.
        for _ in range(40):
            if any(st == "SUCCESS" for _, st in rows(db, "MANUAL-1")):
                break
            codes.append(ocms_process(["jobs", "run", JOB, "--key", "MANUAL-1"], env, manual_log).wait(120))
        wait_for(lambda: len([k for k in executions(Path(env["OCMS_TEST_JOB_LOG"])) if k != "MANUAL-1"]) >= 3,
                   what="three scheduled keys")
        # the first scheduler's own metrics: its runs, by outcome
        scraped = requests.get(f"http://127.0.0.1:{mport}/metrics", timeout=10).text
        runs = {s.labels["status"]: s.value for f in text_string_to_metric_families(scraped) for s in f.samples
                if s.name == "ocms_job_runs_total" and s.labels.get("job") == JOB}
        assert sum(runs.values()) >= 1 and set(runs) <= {"SUCCESS", "SKIPPED_RUNNING"}, runs
    finally:
        for p in schedulers:
            p.send_signal(signal.SIGTERM)
        for p in schedulers:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    ran = executions(Path(env["OCMS_TEST_JOB_LOG"]))
    recorded = rows(db)
    successes = collections.Counter(k for k, st in recorded if st == "SUCCESS")
    assert ran and max(ran.values()) == 1, ran                              # no key ran twice
    assert successes == ran, (successes, ran)                               # each run recorded SUCCESS once
    assert ran["MANUAL-1"] == 1
    assert set(codes) <= {0, 3}, codes                                      # SUCCESS/ALREADY_DONE or SKIPPED_RUNNING
    skipped = [k for k, st in recorded if st == "SKIPPED_RUNNING"]
    assert skipped, recorded                                                # the racers did meet
    assert not [k for k, st in recorded if st in ("RUNNING", "FAILED")], recorded
    for p in schedulers:
        assert p.returncode == 0, "".join(log.read_text() for log in logs)[-3000:]


def test_a_killed_runner_leaves_its_key_free_and_its_row_abandoned(db, env, tmp_path, monkeypatch):
    slow = {**env, "OCMS_TEST_SLEEP": "600"}
    proc = ocms_process(["jobs", "run", JOB, "--key", "DEAD-1"], slow, tmp_path / "dead.log")
    try:
        wait_for(lambda: ("DEAD-1", "RUNNING") in rows(db, "DEAD-1"), what="the run to start")
        busy = run_job(db, JOB, "DEAD-1")             # while it lives, the key is taken
        assert busy["status"] == "SKIPPED_RUNNING"
        assert busy["heldBy"]
    finally:
        proc.kill()                                   # no clean-up: the process is gone
        proc.wait()
    if db.engine.dialect.name == "postgresql":
        # The server ends the dead client's session (and its lock) when it sees the connection close.
        key = advisory_key(JOB, ANY_KEY)  # test-slow is a per-job lock
        with db.engine.connect() as c:
            wait_for(lambda: c.execute(text(
                "SELECT count(*) = 0 FROM pg_locks WHERE locktype = 'advisory' AND objid = :lo AND classid = :hi"),
                {"lo": key & 0xFFFFFFFF, "hi": (key >> 32) & 0xFFFFFFFF}).scalar(), what="the lock to go")
    monkeypatch.setenv("OCMS_TEST_JOB_LOG", env["OCMS_TEST_JOB_LOG"])
    monkeypatch.setenv("OCMS_TEST_SLEEP", "0")
    outcome = run_job(db, JOB, "DEAD-1")
    assert outcome["status"] == "SUCCESS", outcome
    statuses = [st for _, st in rows(db, "DEAD-1")]
    assert statuses == ["FAILED", "SKIPPED_RUNNING", "SUCCESS"], statuses
    with db.session() as s:
        first = s.scalars(select(BatchJobRun).where(BatchJobRun.run_key == "DEAD-1").order_by(BatchJobRun.id)).first()
        assert first.error_message.startswith("abandoned")
    assert executions(Path(env["OCMS_TEST_JOB_LOG"]))["DEAD-1"] == 1


def test_cli_says_already_running_with_exit_3(db, env, tmp_path, runner):
    slow = {**env, "OCMS_TEST_SLEEP": "600"}
    proc = ocms_process(["jobs", "run", JOB, "--key", "BUSY-1"], slow, tmp_path / "busy.log")
    try:
        wait_for(lambda: ("BUSY-1", "RUNNING") in rows(db, "BUSY-1"), what="the run to start")
        import tests.api.jobs.slow_job  # noqa: F401  the job, in this process too
        r = runner.invoke(["jobs", "run", JOB, "--key", "BUSY-1"])
        assert r.exit_code == 3, r.output + r.stderr
        answer = json.loads(r.output)
        assert answer["status"] == "SKIPPED_RUNNING" and answer["heldBy"]
    finally:
        proc.kill()
        proc.wait()


def test_a_run_key_that_cannot_be_recorded_is_refused_before_anything_runs(db, runner):
    r = runner.invoke(["jobs", "run", JOB, "--key", "K" * 51])
    assert r.exit_code == 2 and "1 to 50 characters" in r.stderr
    r = runner.invoke(["jobs", "run", JOB, "--key", "   "])
    assert r.exit_code == 2
    assert rows(db) == []
