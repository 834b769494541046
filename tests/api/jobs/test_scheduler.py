"""The scheduler in this process: missed runs caught up once at start-up, then nothing twice; job-step logs."""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.jobs.scheduler import Scheduler, keys_due
from api.jobs.timetable import candidate_keys, parse_timetable
from repository.models import BatchJobRun
from repository.queries import finish_job_run, start_job_run
from tests.api.jobs.slow_job import JOB

SGT = ZoneInfo("Asia/Singapore")
TIMETABLE = 'jobs:\n  test-slow: {cron: "0 2 * * *", key: "{prev_day}", catch_up: all}\n'


def successes(db) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(BatchJobRun.run_key).where(BatchJobRun.job_name == JOB,
                                                                 BatchJobRun.status == "SUCCESS")
                              .order_by(BatchJobRun.id)))


def start_and_wait(db, timetable, expected: int) -> None:
    sched = Scheduler(db, timetable, SGT, max_workers=1)
    sched.start()
    try:
        deadline = time.monotonic() + 30
        while len(successes(db)) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # anything more it would (wrongly) run
    finally:
        sched.stop(wait=True)


def test_missed_days_are_caught_up_once(db, monkeypatch):
    monkeypatch.setenv("OCMS_TEST_SLEEP", "0")
    timetable = parse_timetable(TIMETABLE)
    entry = timetable.entries[0]
    keys = candidate_keys(entry, SGT, dt.datetime.now(SGT), timetable.catch_up_days, 100)
    # the job last ran four fires ago; no scheduler ran since
    with db.unit_of_work() as uow:
        finish_job_run(uow.session, start_job_run(uow.session, JOB, keys[-4]), "SUCCESS", counts={})
        uow.commit()
    assert keys_due(db, entry, SGT, timetable.catch_up_days) == keys[-3:]
    start_and_wait(db, timetable, expected=4)
    assert successes(db) == keys[-4:]                      # each missed key once, oldest first
    start_and_wait(db, timetable, expected=4)              # a second start (another machine) finds nothing due
    assert successes(db) == keys[-4:]


def test_each_job_step_is_one_json_log_line(db, monkeypatch, capsys):
    from api.web.logging import JsonLogFormatter
    monkeypatch.setenv("OCMS_TEST_SLEEP", "0")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("api.jobs.runner")
    logger.addHandler(handler)
    try:
        from api.jobs import run_job
        run_job(db, JOB, "STEP-1")
        run_job(db, JOB, "STEP-1")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    steps = [(x["event"], x["job"], x["run_key"], x["status"]) for x in lines if x.get("event") == "job"]
    assert steps == [("job", JOB, "STEP-1", "RUNNING"), ("job", JOB, "STEP-1", "SUCCESS"),
                     ("job", JOB, "STEP-1", "ALREADY_DONE")]
    done = [x for x in lines if x.get("status") == "SUCCESS"][0]
    assert done["duration_ms"] >= 0 and done["runner"] and done["counts"] == {"key": "STEP-1"}
