"""Batch jobs (crons in the specs) run by ``ocms jobs run <name>``; each run recorded in ocms_batch_job_run.

A job is a function ``job(uow, run_key) -> counts`` registered with
:func:`register_job`; it must be idempotent (safe to re-run after a crash).
A job that must keep partial progress (one batch after another) may call
``uow.commit()`` after each batch: the run's RUNNING row is committed before
the job starts, so such commits never publish a half-finished run as done.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

from repository.models import JOB_FAILED, JOB_SUCCESS
from repository.queries import finish_job_run, job_run_succeeded, start_job_run

log = logging.getLogger(__name__)

JobFunction = Callable[..., dict]


@dataclass(frozen=True)
class Job:
    """A named batch job and what it does."""

    name: str
    function: JobFunction
    description: str = ""
    #: The run key used when none is given (default: today's date).
    default_key: Callable[[], str] | None = None


JOBS: dict[str, Job] = {}


class UnknownJobError(LookupError):
    """No job of that name is registered."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown job {name!r}; known jobs: {', '.join(sorted(JOBS)) or '(none registered yet)'}")


def register_job(name: str, description: str = "",
                 default_key: Callable[[], str] | None = None) -> Callable[[JobFunction], JobFunction]:
    """Decorate ``job(uow, run_key) -> counts`` to make it runnable as ``ocms jobs run <name>``.

    ``default_key`` gives the run key when the caller names none (e.g. the
    previous business day); without it the key is today's date.
    """
    def decorate(fn: JobFunction) -> JobFunction:
        doc = (fn.__doc__ or "").strip()
        JOBS[name] = Job(name, fn, description or (doc.splitlines()[0] if doc else ""), default_key)
        return fn
    return decorate


def run_job(database, name: str, run_key: str | None = None, force: bool = False) -> dict:
    """Run job ``name`` for ``run_key`` (default: the job's default key, else today), recording the run.

    A run key that already succeeded is skipped unless ``force``. The RUNNING
    row is committed first (a crash leaves it visible as RUNNING); the job's
    work and the row's SUCCESS commit together, unless the job commits its own
    batches on the way. On failure the uncommitted work rolls back and the
    same row is marked FAILED in its own transaction.
    """
    job = JOBS.get(name)
    if job is None:
        raise UnknownJobError(name)
    run_key = run_key or (job.default_key() if job.default_key else dt.date.today().isoformat())
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


# Job modules register themselves when imported; one line per area.
from . import unqualified_an  # noqa: E402,F401  (OCMS 10 §3.9)
from .advisory import jobs as _advisory_jobs  # noqa: E402,F401  (OCMS 10 §3.7 mirror-retry)
from . import vip_refresh  # noqa: E402,F401  (CAS API 3 refresh-vip-vehicles)
from .cps import jobs as _cps_jobs  # noqa: E402,F401  (OCMS 15 toppan-cps, cps-stage-map-sync)
