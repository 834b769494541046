"""Batch jobs (crons in the specs) run by ``ocms jobs run <name>``: the registry and the runner.

* :mod:`.registry` — :func:`register_job` and :data:`JOBS`; imports no area.
* :mod:`.runner` — :func:`run_job`: one run per key, recorded in ``ocms_batch_job_run``.

Areas register their jobs in their own ``jobs.py``; :func:`api.areas.load_jobs`
imports those modules at start-up.
"""
from .registry import JOBS, PER_JOB, PER_KEY, Job, JobFunction, UnknownJobError, get_job, register_job
from .runner import run_job

__all__ = ["JOBS", "PER_JOB", "PER_KEY", "Job", "JobFunction", "UnknownJobError", "get_job", "register_job", "run_job"]
