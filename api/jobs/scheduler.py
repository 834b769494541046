"""``ocms scheduler``: run every job of the timetable at its times (APScheduler), on any number of machines.

Each timetable entry is one APScheduler job (a cron or interval trigger in the
business time zone, ``coalesce``, one instance at a time, no misfire limit).
When it fires — and once when the scheduler starts, for entries that catch up —
it asks which of the entry's run keys are due (:func:`api.jobs.timetable.due_keys`,
from ``ocms_batch_job_run``) and runs each with :func:`api.jobs.run_job`, oldest
first. ``run_job`` takes the job key's lock, so schedulers on several machines
and manual ``ocms jobs run`` calls never run one key twice at a time; a loser
records ``SKIPPED_RUNNING``, and a key that succeeded is ``ALREADY_DONE``.

SIGTERM/SIGINT stop the scheduler after the runs in progress finish (their
locks are released by the database if the process is killed instead).
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from repository.models import JOB_SUCCESS, BatchJobRun

from .runner import run_job
from .timetable import MAX_CATCH_UP, Entry, Timetable, candidate_keys, due_keys

log = logging.getLogger(__name__)


def key_history(database, job: str, keys: list[str]) -> tuple[set[str], set[str]]:
    """(keys with a SUCCESS run, keys with any run) of ``job`` among ``keys`` — one query."""
    if not keys:
        return set(), set()
    with database.session() as s:
        rows = s.execute(select(BatchJobRun.run_key, BatchJobRun.status)
                         .where(BatchJobRun.job_name == job, BatchJobRun.run_key.in_(keys))).all()
    return {k for k, st in rows if st == JOB_SUCCESS}, {k for k, _ in rows}


def keys_due(database, entry: Entry, zone: ZoneInfo, window_days: int, now: dt.datetime | None = None,
             policy: str | None = None) -> list[str]:
    """The run keys of ``entry`` due at ``now`` (default: the current business time), oldest first."""
    now = now or dt.datetime.now(zone)
    policy = policy or entry.catch_up
    if policy == "none":
        return []
    limit = 1 if policy == "last" else MAX_CATCH_UP
    succeeded, seen = key_history(database, entry.job, candidate_keys(entry, zone, now, window_days, limit))
    return due_keys(entry, zone, now, window_days, succeeded, seen, policy)


def fire(database, entry: Entry, zone: ZoneInfo, window_days: int, policy: str | None = None,
         run: Callable = run_job) -> list[dict]:
    """Run every due key of ``entry`` now, oldest first; the outcomes of :func:`run_job`."""
    outcomes = []
    try:
        keys = keys_due(database, entry, zone, window_days, policy=policy)
    except Exception:
        log.exception("scheduler: cannot tell which keys of %s are due", entry.job)
        return outcomes
    for key in keys:
        try:
            outcomes.append(run(database, entry.job, key))
        except Exception:  # run_job records job failures itself; this is the database being away
            log.exception("scheduler: %s %s could not be run", entry.job, key)
    return outcomes


class Scheduler:
    """The timetable on an APScheduler BackgroundScheduler; :meth:`run_forever` blocks until a signal."""

    def __init__(self, database, timetable: Timetable, zone: ZoneInfo, max_workers: int = 4):
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.database = database
        self.timetable = timetable
        self.zone = zone
        self._stopped = threading.Event()
        self.aps = BackgroundScheduler(
            timezone=zone, executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def start(self, catch_up: bool = True) -> None:
        """Add every enabled entry; entries that catch up fire once at once."""
        now = dt.datetime.now(self.zone)
        for entry in self.timetable.enabled():
            policy = None if entry.catch_up != "none" else "last"  # a regular fire runs the latest key
            kwargs = {"next_run_time": now} if catch_up and entry.catch_up != "none" else {}
            self.aps.add_job(fire, entry.trigger(self.zone), id=entry.job, name=entry.job,
                             args=(self.database, entry, self.zone, self.timetable.catch_up_days, policy), **kwargs)
        self.aps.start()
        for job in self.aps.get_jobs():
            log.info("scheduler: %s next at %s", job.id, job.next_run_time,
                     extra={"event": "schedule", "job": job.id, "next_run": str(job.next_run_time)})

    def next_runs(self) -> dict[str, dt.datetime | None]:
        return {j.id: j.next_run_time for j in self.aps.get_jobs()}

    def stop(self, wait: bool = True) -> None:
        """Stop firing; with ``wait``, after the runs in progress end."""
        self._stopped.set()
        if self.aps.running:
            self.aps.shutdown(wait=wait)

    def run_forever(self) -> None:
        """Start, then block until SIGTERM or SIGINT; stop after the runs in progress."""
        def on_signal(signum, _frame):
            log.info("scheduler: signal %s, stopping after the runs in progress", signum)
            self._stopped.set()
        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self._stopped.wait(1.0):
                pass
        finally:
            self.stop(wait=True)
            for s, handler in previous.items():
                signal.signal(s, handler)


__all__ = ["Scheduler", "fire", "key_history", "keys_due"]
