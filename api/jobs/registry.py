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
    previous business day); without it the key is today's business date.
    """
    def decorate(fn: JobFunction) -> JobFunction:
        doc = (fn.__doc__ or "").strip()
        JOBS[name] = Job(name, fn, description or (doc.splitlines()[0] if doc else ""), default_key)
        return fn
    return decorate



def get_job(name: str) -> Job:
    """The job registered as ``name``; raise :class:`UnknownJobError` if there is none."""
    job = JOBS.get(name)
    if job is None:
        raise UnknownJobError(name)
    return job


__all__ = ["JOBS", "Job", "JobFunction", "UnknownJobError", "get_job", "register_job"]
