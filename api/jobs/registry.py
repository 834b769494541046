"""The job registry: names → job functions. It knows no area.

A job is a function ``job(uow, run_key) -> counts`` registered with
:func:`register_job` in its area's ``jobs.py`` (``api/cas/jobs.py`` …); it must
be idempotent (safe to re-run after a crash). The registry imports no job
module: :func:`api.areas.load_jobs` imports them once at start-up, so there is
no import cycle between the registry and the jobs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

JobFunction = Callable[..., dict]


@dataclass(frozen=True)
class Job:
    """A named batch job and what it does."""

    name: str
    function: JobFunction
    description: str = ""
    #: The run key used when none is given (default: today's business date, repository.business_time).
    default_key: Callable[[], str] | None = None
    #: What one lock covers (api/jobs/locks.py): PER_JOB (default) — one run of the job at a time, whatever its
    #: key, for jobs whose keys overlap in the work they claim (an "as of" date: every notice due by then);
    #: PER_KEY — runs of different keys may overlap, only for jobs whose key partitions the work (a day's list,
    #: a folder of files).
    lock: str = "per_job"


JOBS: dict[str, Job] = {}
PER_JOB = "per_job"
PER_KEY = "per_key"


class UnknownJobError(LookupError):
    """No job of that name is registered."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown job {name!r}; known jobs: {', '.join(sorted(JOBS)) or '(none registered yet)'}")


def register_job(name: str, description: str = "", default_key: Callable[[], str] | None = None,
                 lock: str = PER_JOB) -> Callable[[JobFunction], JobFunction]:
    """Decorate ``job(uow, run_key) -> counts`` to make it runnable as ``ocms jobs run <name>``.

    ``default_key`` gives the run key when the caller names none (e.g. the
    previous business day); without it the key is today's business date.
    ``lock``: :data:`PER_JOB` (the default: one run at a time whatever the key)
    or :data:`PER_KEY` (only for a job whose key partitions its work, so two
    keys never claim the same rows); anything else is ValueError.
    """
    if lock not in (PER_JOB, PER_KEY):
        raise ValueError(f"job {name!r}: lock must be {PER_JOB!r} or {PER_KEY!r}, got {lock!r}")

    def decorate(fn: JobFunction) -> JobFunction:
        doc = (fn.__doc__ or "").strip()
        JOBS[name] = Job(name, fn, description or (doc.splitlines()[0] if doc else ""), default_key, lock)
        return fn
    return decorate



def get_job(name: str) -> Job:
    """The job registered as ``name``; raise :class:`UnknownJobError` if there is none."""
    job = JOBS.get(name)
    if job is None:
        raise UnknownJobError(name)
    return job


__all__ = ["JOBS", "PER_JOB", "PER_KEY", "Job", "JobFunction", "UnknownJobError", "get_job", "register_job"]
