"""Run a registered job once for a run key, recording the run in ``ocms_batch_job_run``.

Every run — by ``ocms jobs run`` or by ``ocms scheduler``, on any machine — first
takes the lock of its job — or of its job and key, for a job registered
``lock="per_key"`` — (:mod:`.locks`: a PostgreSQL advisory lock, a file lock on
SQLite). So a job (or a per-key job's key) runs at most once at a time:

* the lock is free: the run goes ahead; a RUNNING row of the same key left by a
  runner that died is marked FAILED ("abandoned") first, since only a dead
  runner's row can be RUNNING while the lock is free;
* another runner holds it: nothing is done and a ``SKIPPED_RUNNING`` row says
  so (``error_message`` names the holder); the answer's status is
  ``SKIPPED_RUNNING``;
* the key already succeeded (checked under the lock): ``ALREADY_DONE``, no row.

A job that must keep partial progress (one batch after another) may call
``uow.commit()`` after each batch: the run's RUNNING row is committed before
the job starts, so such commits never publish a half-finished run as done.
Each step (start, finish, skip) is one log line with the job, key, status and
duration; the run is counted in the ``ocms_job_runs_total`` and
``ocms_job_duration_seconds`` metrics.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import time

from sqlalchemy import update

from api import metrics
from repository import business_time
from repository.models import JOB_FAILED, JOB_RUNNING, JOB_SKIPPED_RUNNING, JOB_SUCCESS, BatchJobRun, now
from repository.queries import finish_job_run, job_run_succeeded, start_job_run

from .locks import LockBusy, runner_name, try_job_lock
from .registry import PER_KEY, get_job

log = logging.getLogger(__name__)

ALREADY_DONE = "ALREADY_DONE"
#: ``ocms_batch_job_run.run_key`` holds this many characters.
MAX_RUN_KEY = 50


def _step(name: str, run_key: str, status: str, started: float | None = None, **extra) -> None:
    """One log line per job step (JSON in production: see api/web/logging.py)."""
    fields = {"job": name, "run_key": run_key, "status": status, "runner": runner_name(), **extra}
    if started is not None:
        fields["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    level = logging.ERROR if status == JOB_FAILED else logging.INFO
    log.log(level, "job %s %s: %s", name, run_key, status, extra={"event": "job", **fields})


def _abandon_stale(session, name: str, run_key: str) -> int:
    """Mark RUNNING rows of this key FAILED: with the lock free, their runner is gone."""
    result = session.execute(
        update(BatchJobRun)
        .where(BatchJobRun.job_name == name, BatchJobRun.run_key == str(run_key), BatchJobRun.status == JOB_RUNNING)
        .values(status=JOB_FAILED, finished_at=now(),
                error_message="abandoned: its runner stopped before finishing (lock released)"))
    return result.rowcount or 0


_KEY_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T|$)")


def check_not_future(run_key: str) -> None:
    """Refuse a run key dated after today's business date (``2099-01-01``, ``2099-01-01T1015``): ValueError.

    A job run for a day that has not come would record work (and a SUCCESS that blocks the real run of
    that day) from data that is not there yet. Nothing is recorded for a refused key.
    """
    m = _KEY_DATE.match(run_key)
    if m is None:
        return
    try:
        day = dt.date.fromisoformat(m.group(1))
    except ValueError:
        raise ValueError(f"run key {run_key!r} does not start with a calendar date (yyyy-MM-dd)") from None
    today = business_time.today()
    if day > today:
        raise ValueError(f"run key {run_key!r} is in the future: today's business date is {today.isoformat()} "
                         f"({getattr(business_time.business_zone(), 'key', business_time.business_zone())}); a job runs for "
                         "today or a past day")


def run_job(database, name: str, run_key: str | None = None, force: bool = False) -> dict:
    """Run job ``name`` for ``run_key`` (default: the job's default key, else the business date today), recording the run.

    Returns ``{"job", "runKey", "status", ...}`` with status SUCCESS (and
    ``counts``), FAILED (and ``error``), ALREADY_DONE (the key succeeded before;
    not re-run unless ``force``) or SKIPPED_RUNNING (another runner holds the
    key; ``heldBy``). The RUNNING row is committed first (a crash leaves it
    visible as RUNNING until the next run of the key marks it abandoned); the
    job's work and the row's SUCCESS commit together, unless the job commits its
    own batches on the way. On failure the uncommitted work rolls back and the
    same row is marked FAILED in its own transaction. Raises
    :class:`api.jobs.UnknownJobError` for an unknown name, ValueError for an
    empty run key or one longer than :data:`MAX_RUN_KEY`.
    """
    job = get_job(name)
    run_key = run_key or (job.default_key() if job.default_key else business_time.today().isoformat())
    if len(str(run_key)) > MAX_RUN_KEY or not str(run_key).strip():
        raise ValueError(f"run key must be 1 to {MAX_RUN_KEY} characters, got {len(str(run_key))}")
    check_not_future(str(run_key))
    started = time.monotonic()
    try:
        lease = try_job_lock(database.engine, name, run_key, per_job=job.lock != PER_KEY)
    except LockBusy as busy:
        with database.unit_of_work() as uow:
            row = start_job_run(uow.session, name, run_key)
            row.status, row.finished_at = JOB_SKIPPED_RUNNING, row.started_at
            row.error_message = f"already running: {busy.holder or 'another runner'}; {runner_name()} did nothing"
            uow.commit()
        metrics.job_finished(name, JOB_SKIPPED_RUNNING, time.monotonic() - started)
        _step(name, run_key, JOB_SKIPPED_RUNNING, started, held_by=busy.holder)
        return {"job": name, "runKey": run_key, "status": JOB_SKIPPED_RUNNING, "heldBy": busy.holder}
    try:
        return _run_locked(database, job, run_key, force, started)
    finally:
        lease.release()


def _run_locked(database, job, run_key: str, force: bool, started: float) -> dict:
    name = job.name
    with database.unit_of_work() as uow:
        if not force and job_run_succeeded(uow.session, name, run_key):
            _step(name, run_key, ALREADY_DONE, started)
            return {"job": name, "runKey": run_key, "status": ALREADY_DONE}
        abandoned = _abandon_stale(uow.session, name, run_key)
        run_id = start_job_run(uow.session, name, run_key).id
        uow.commit()
    _step(name, run_key, JOB_RUNNING, abandoned=abandoned or None)
    try:
        with database.unit_of_work() as uow:
            counts = job.function(uow, run_key) or {}
            finish_job_run(uow.session, run_id, JOB_SUCCESS, counts=counts)
            uow.commit()
    except Exception as e:
        log.exception("job %s (%s) failed", name, run_key)
        error = f"{type(e).__name__}: {e}"
        with database.unit_of_work() as uow:
            # A job may say what it got done before failing (attempts, errors): an exception's ``counts``.
            finish_job_run(uow.session, run_id, JOB_FAILED, counts=getattr(e, "counts", None),
                           error_message=error[:2000])
            uow.commit()
        metrics.job_finished(name, JOB_FAILED, time.monotonic() - started)
        _step(name, run_key, JOB_FAILED, started, error=error[:500])
        return {"job": name, "runKey": run_key, "status": JOB_FAILED, "error": error}
    metrics.job_finished(name, JOB_SUCCESS, time.monotonic() - started)
    _step(name, run_key, JOB_SUCCESS, started, counts=counts)
    return {"job": name, "runKey": run_key, "status": JOB_SUCCESS, "counts": counts}


__all__ = ["ALREADY_DONE", "run_job"]
