"""At most one runner per job (or per job and run key), across processes and machines (issue 16, "Scheduler").

A job registered ``lock="per_job"`` (the default, api/jobs/registry.py) takes one
lock whatever its key: the OCMS 14 jobs work "as of" their key date, so runs
under two keys would claim the same notices. Only ``lock="per_key"`` jobs (the
key partitions the work) lock the job and key.

    lease = try_job_lock(engine, "unqualified-an-list", "2026-01-14")
    if lease is None: ...            # another runner holds it: nothing to do
    try: ...                         # the run
    finally: lease.release()

PostgreSQL
    A session advisory lock, ``pg_try_advisory_lock(<key>)``, where the key is the
    first 8 bytes of SHA-256 of ``"ocms-job\\0<job>\\0<run key or *>"`` as a signed 64-bit
    integer. It is taken on a *dedicated* connection (its own engine without a
    pool, autocommit, so the session is idle — never "idle in transaction") and
    held for the whole run. When the runner dies its connection dies and the
    server releases the lock: no timeout decides that a runner is dead. The
    connection's ``application_name`` is ``ocms-job <host>:<pid>``, so a loser can
    say who holds the lock (:attr:`LockBusy.holder`, from ``pg_locks`` and
    ``pg_stat_activity``).
SQLite (one machine)
    An exclusive ``flock`` on ``<database file>.locks/<job>.lock``: one run of a job
    at a time, whatever its key (SQLite has one writer anyway). The kernel
    releases it when the process dies. An in-memory database gets a lock of this
    process.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from repository.db import make_engine

#: Namespace of the advisory-lock keys (so OCMS keys never meet another application's).
NAMESPACE = "ocms-job"


def advisory_key(job: str, run_key: str) -> int:
    """The signed 64-bit advisory-lock key of ``job`` and ``run_key`` (stable across machines and versions)."""
    digest = hashlib.sha256(f"{NAMESPACE}\0{job}\0{run_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def runner_name() -> str:
    """``<host>:<pid>`` of this process, as lock holders are named."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobLease:
    """A held lock; :meth:`release` frees it (idempotent)."""

    job: str
    run_key: str
    _release: Callable[[], None]
    _released: bool = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._release()

    def __enter__(self) -> "JobLease":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class LockBusy(RuntimeError):
    """Another runner holds the lock of this job and key."""

    def __init__(self, job: str, run_key: str, holder: str | None):
        self.job, self.run_key, self.holder = job, run_key, holder
        super().__init__(f"{job} {run_key} is already running" + (f" ({holder})" if holder else ""))


# ---- PostgreSQL ---------------------------------------------------------------------------
_lock_engines: dict[str, Engine] = {}
_lock_engines_guard = threading.Lock()


def _lock_engine(url: URL) -> Engine:
    """One pool-less engine per database: every lock gets a connection of its own, closed on release."""
    key = url.render_as_string(hide_password=False)
    with _lock_engines_guard:
        eng = _lock_engines.get(key)
        if eng is None:
            eng = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                              connect_args={"application_name": f"ocms-job {runner_name()}"[:63]})
            _lock_engines[key] = eng
        return eng


def _pg_holder(conn, key: int) -> str | None:
    """``application_name`` (and address) of the session holding advisory lock ``key``."""
    row = conn.execute(text(
        "SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"),
        {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).first()
    if row is None:
        return None
    name, addr, pid = row
    return f"{name or 'session'} (backend {pid}{', ' + str(addr) if addr else ''})"


def _try_pg(engine: Engine, job: str, run_key: str) -> JobLease:
    return _try_pg_key(engine, job, run_key, run_key)


def _try_pg_key(engine: Engine, job: str, lock_key: str, run_key: str) -> JobLease:
    key = advisory_key(job, lock_key)
    conn = _lock_engine(engine.url).connect()
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if not got:
            holder = _pg_holder(conn, key)
            raise LockBusy(job, run_key, holder)
    except BaseException:
        conn.close()
        raise

    def release() -> None:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            conn.close()  # closing the session would release it anyway

    return JobLease(job, run_key, release)


# ---- SQLite ---------------------------------------------------------------------------------
_local_locks: dict[tuple[str, str], threading.Lock] = {}
_local_guard = threading.Lock()


def lock_dir(url: URL) -> Path | None:
    """Where the lock files of a SQLite file database live (None: in-memory)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(str(Path(database).resolve()) + ".locks")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "_"


def _try_sqlite(engine: Engine, job: str, run_key: str) -> JobLease:
    directory = lock_dir(engine.url)
    if directory is None:
        with _local_guard:
            lock = _local_locks.setdefault((str(engine.url), job), threading.Lock())
        if not lock.acquire(blocking=False):
            raise LockBusy(job, run_key, "this process")
        return JobLease(job, run_key, lock.release)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_safe(job)}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        holder = None
        try:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or None
        finally:
            os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise LockBusy(job, run_key, holder) from None
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{runner_name()} {run_key}\n".encode(), 0)

    def release() -> None:
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    return JobLease(job, run_key, release)


#: The run key a per-job lock stands for (never a real key: keys are dates, folder names).
ANY_KEY = "*"


def try_job_lock(engine: Engine, job: str, run_key: str, per_job: bool = True) -> JobLease:
    """Take the lock of ``job`` (``per_job``) or of ``job``/``run_key`` without waiting.

    Raise :class:`LockBusy` if another runner has it. SQLite locks per job either way.
    """
    if engine.dialect.name == "postgresql":
        if per_job:
            lease = _try_pg_key(engine, job, ANY_KEY, run_key)
            return lease
        return _try_pg(engine, job, run_key)
    if engine.dialect.name == "sqlite":
        return _try_sqlite(engine, job, run_key)
    raise NotImplementedError(f"no job lock for {engine.dialect.name}")


__all__ = ["ANY_KEY", "JobLease", "LockBusy", "advisory_key", "lock_dir", "runner_name", "try_job_lock"]
