"""Run a registered job once for a run key, recording the run in ``ocms_batch_job_run``.

A job that must keep partial progress (one batch after another) may call
``uow.commit()`` after each batch: the run's RUNNING row is committed before
the job starts, so such commits never publish a half-finished run as done.
"""
from __future__ import annotations

import logging

from repository import business_time
from repository.models import JOB_FAILED, JOB_SUCCESS
from repository.queries import finish_job_run, job_run_succeeded, start_job_run

from .registry import get_job

log = logging.getLogger(__name__)


def run_job(database, name: str, run_key: str | None = None, force: bool = False) -> dict:
    """Run job ``name`` for ``run_key`` (default: the job's default key, else the business date today), recording the run.

    A run key that already succeeded is skipped unless ``force``. The RUNNING
    row is committed first (a crash leaves it visible as RUNNING); the job's
    work and the row's SUCCESS commit together, unless the job commits its own
    batches on the way. On failure the uncommitted work rolls back and the
    same row is marked FAILED in its own transaction.
    """
    job = get_job(name)
    run_key = run_key or (job.default_key() if job.default_key else business_time.today().isoformat())
    with database.unit_of_work() as uow:
        if not force and job_run_succeeded(uow.session, name, run_key):
            return {"job": name, "runKey": run_key, "status": "ALREADY_DONE"}
        run_id = start_job_run(uow.session, name, run_key).id
        uow.commit()
    try:
        with database.unit_of_work() as uow:
            counts = job.function(uow, run_key) or {}
            finish_job_run(uow.session, run_id, JOB_SUCCESS, counts=counts)
            uow.commit()
            return {"job": name, "runKey": run_key, "status": JOB_SUCCESS, "counts": counts}
    except Exception as e:
        log.exception("job %s (%s) failed", name, run_key)
        with database.unit_of_work() as uow:
            # A job may say what it got done before failing (attempts, errors): an exception's ``counts``.
            finish_job_run(uow.session, run_id, JOB_FAILED, counts=getattr(e, "counts", None),
                           error_message=f"{type(e).__name__}: {e}"[:2000])
            uow.commit()
        return {"job": name, "runKey": run_key, "status": JOB_FAILED, "error": f"{type(e).__name__}: {e}"}


__all__ = ["run_job"]
