"""Jobs whose keys overlap in the work they claim run once at a time whatever the key (review finding: the OCMS 14
jobs work "as of" their key date, so ``stage-progression --key 2026-12-01`` and ``--key 2026-11-30`` at once sent
the same letters twice). Real processes racing on the test database (PostgreSQL advisory locks / SQLite flock).
"""
from __future__ import annotations

import collections
from pathlib import Path

import pytest

from api.areas import load_jobs
from api.jobs import JOBS, PER_JOB, PER_KEY, register_job, run_job
from tests.api.jobs.slow_job import JOB
from tests.api.jobs.test_scheduler_race import env, executions, ocms_process, rows  # noqa: F401
from tests.serve_helpers import wait_for

#: Jobs whose run key partitions their work (a day's list or report, a folder of files): the only per-key locks.
PER_KEY_JOBS = {"unqualified-an-list", "ans-report-daily", "toppan-cps",
                "an-notifications"}  # claims each notice row by row: several runners share the work (issue 12)


def test_only_jobs_whose_key_partitions_the_work_lock_per_key():
    load_jobs()
    scopes = {name: job.lock for name, job in JOBS.items() if not name.startswith("test-")}
    assert {n for n, lock in scopes.items() if lock == PER_KEY} == PER_KEY_JOBS, scopes
    for name in ("stage-progression", "vip-ts-clv", "vip-ts-clv-reapply", "ts-old-revival", "vip-an-letters",
                 "furnish-sync", "mirror-retry"):
        if name in scopes:
            assert scopes[name] == PER_JOB, name
    assert scopes.get("stage-progression") == PER_JOB


def test_a_lock_scope_other_than_per_job_or_per_key_is_refused():
    with pytest.raises(ValueError, match="lock must be"):
        register_job("test-bad-lock", lock="per_notice")


def test_two_keys_of_one_job_racing_run_once(db, env, tmp_path):  # noqa: F811
    """``ocms jobs run test-slow --force`` under two keys at once: one works, the other is skipped (another runner)."""
    slow = {**env, "OCMS_TEST_SLEEP": "3"}
    log = tmp_path / "race.log"
    first = ocms_process(["jobs", "run", JOB, "--key", "2026-12-01", "--force"], slow, log)
    try:
        wait_for(lambda: ("2026-12-01", "RUNNING") in rows(db, "2026-12-01"), what="the first run to start")
        second = run_job(db, JOB, "2026-11-30", force=True)         # this process: another runner
        assert second["status"] == "SKIPPED_RUNNING" and second["heldBy"], second
        assert first.wait(120) == 0, log.read_text()[-2000:]
    finally:
        for p in (first,):
            if p.poll() is None:
                p.kill()
                p.wait()
    ran = executions(Path(env["OCMS_TEST_JOB_LOG"]))
    assert ran == collections.Counter({"2026-12-01": 1}), ran
    assert rows(db, "2026-11-30") == [("2026-11-30", "SKIPPED_RUNNING")]
    assert rows(db, "2026-12-01") == [("2026-12-01", "SUCCESS")]
