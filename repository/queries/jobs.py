"""Batch-job run bookkeeping (``ocms_batch_job_run``)."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..base import now
from ..operations import JOB_RUNNING, JOB_STATUSES, JOB_SUCCESS, BatchJobRun


def start_job_run(session: Session, job_name: str, run_key: str) -> BatchJobRun:
    """Record that ``job_name`` started for ``run_key``; return the RUNNING row (flushed, has id)."""
    run = BatchJobRun(job_name=job_name, run_key=str(run_key), status=JOB_RUNNING, started_at=now())
    session.add(run)
    session.flush()
    return run


def finish_job_run(
    session: Session,
    run: BatchJobRun | int,
    status: str,
    *,
    counts: Mapping[str, Any] | None = None,
    error_message: str | None = None,
) -> BatchJobRun:
    """Mark a run finished with ``status`` (SUCCESS, FAILED or PARTIAL), its counts and error."""
    if status not in JOB_STATUSES or status == JOB_RUNNING:
        raise ValueError(f"finish status must be one of SUCCESS, FAILED, PARTIAL, not {status!r}")
    if isinstance(run, int):
        found = session.get(BatchJobRun, run)
        if found is None:
            raise LookupError(f"no batch job run {run}")
        run = found
    run.status = status
    run.finished_at = now()
    run.counts = dict(counts) if counts is not None else None
    run.error_message = error_message
    session.flush()
    return run


def last_job_run(session: Session, job_name: str, run_key: str | None = None) -> BatchJobRun | None:
    """Return the latest run of ``job_name`` (for ``run_key`` if given), or None."""
    stmt = select(BatchJobRun).where(BatchJobRun.job_name == job_name)
    if run_key is not None:
        stmt = stmt.where(BatchJobRun.run_key == str(run_key))
    stmt = stmt.order_by(BatchJobRun.started_at.desc(), BatchJobRun.id.desc()).limit(1)
    return session.scalars(stmt).first()


def job_run_succeeded(session: Session, job_name: str, run_key: str) -> bool:
    """Tell whether ``job_name`` already has a SUCCESS run for ``run_key`` (re-run guard)."""
    stmt = select(BatchJobRun.id).where(
        BatchJobRun.job_name == job_name,
        BatchJobRun.run_key == str(run_key),
        BatchJobRun.status == JOB_SUCCESS,
    )
    return session.scalars(stmt.limit(1)).first() is not None
