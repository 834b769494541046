"""Batch jobs (crons in the specs) run by ``ocms jobs run <name>``; each run recorded in ocms_batch_job_run.

A job is a function ``job(uow, run_key) -> counts`` registered with
:func:`register_job`; it must be idempotent (safe to re-run after a crash).
None is registered yet: the AN, VIP and CPS issues add theirs.
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


JOBS: dict[str, Job] = {}


class UnknownJobError(LookupError):
    """No job of that name is registered."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown job {name!r}; known jobs: {', '.join(sorted(JOBS)) or '(none registered yet)'}")


def register_job(name: str, description: str = "") -> Callable[[JobFunction], JobFunction]:
    """Decorate ``job(uow, run_key) -> counts`` to make it runnable as ``ocms jobs run <name>``."""
    def decorate(fn: JobFunction) -> JobFunction:
        doc = (fn.__doc__ or "").strip()
        JOBS[name] = Job(name, fn, description or (doc.splitlines()[0] if doc else ""))
        return fn
    return decorate


def run_job(database, name: str, run_key: str | None = None, force: bool = False) -> dict:
    """Run job ``name`` for ``run_key`` (default: today), recording the run; return its outcome.

    A run key that already succeeded is skipped unless ``force``. The job's
    work and its SUCCESS row commit together; on failure the work rolls back
    and a FAILED row is recorded in its own transaction.
    """
    job = JOBS.get(name)
    if job is None:
        raise UnknownJobError(name)
    run_key = run_key or dt.date.today().isoformat()
    with database.unit_of_work() as uow:
        if not force and job_run_succeeded(uow.session, name, run_key):
            return {"job": name, "runKey": run_key, "status": "ALREADY_DONE"}
    try:
        with database.unit_of_work() as uow:
            run = start_job_run(uow.session, name, run_key)
            counts = job.function(uow, run_key) or {}
            finish_job_run(uow.session, run, JOB_SUCCESS, counts=counts)
            uow.commit()
            return {"job": name, "runKey": run_key, "status": JOB_SUCCESS, "counts": counts}
    except Exception as e:
        log.exception("job %s (%s) failed", name, run_key)
        with database.unit_of_work() as uow:
            run = start_job_run(uow.session, name, run_key)
            # A job may say what it got done before failing (attempts, errors): an exception's ``counts``.
            finish_job_run(uow.session, run, JOB_FAILED, counts=getattr(e, "counts", None),
                           error_message=f"{type(e).__name__}: {e}"[:2000])
            uow.commit()
        return {"job": name, "runKey": run_key, "status": JOB_FAILED, "error": f"{type(e).__name__}: {e}"}


# Job modules register themselves when imported; one line per area.
from .advisory import jobs as _advisory_jobs  # noqa: E402,F401  (OCMS 10 §3.7 mirror-retry)
from . import vip_refresh  # noqa: E402,F401  (CAS API 3 refresh-vip-vehicles)
from .cps import jobs as _cps_jobs  # noqa: E402,F401  (OCMS 15 toppan-cps, cps-stage-map-sync)
