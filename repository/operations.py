"""Operational tables of the service: batch job runs, report files, the
decision log and the rules-reload signal."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, now

JOB_RUNNING = "RUNNING"
JOB_SUCCESS = "SUCCESS"
JOB_FAILED = "FAILED"
JOB_PARTIAL = "PARTIAL"
#: Another runner held the job key's lock: this runner did nothing (api/jobs/runner.py).
JOB_SKIPPED_RUNNING = "SKIPPED_RUNNING"
JOB_STATUSES = (JOB_RUNNING, JOB_SUCCESS, JOB_FAILED, JOB_PARTIAL, JOB_SKIPPED_RUNNING)


class BatchJobRun(Base):
    """One run of a batch job (``ocms jobs run <name>``) for one run key."""

    __tablename__ = "ocms_batch_job_run"
    __table_args__ = (Index("ix_ocms_batch_job_run_job_key", "job_name", "run_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_name: Mapped[str] = mapped_column(String(50), nullable=False)
    run_key: Mapped[str] = mapped_column(String(50), nullable=False)  # e.g. business date
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=JOB_RUNNING)
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    counts: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON(none_as_null=True))
    error_message: Mapped[Optional[str]] = mapped_column(Text)


class ReportFile(Base):
    """A generated report stored in the report store, downloadable by id."""

    __tablename__ = "ocms_report_file"
    __table_args__ = (Index("ix_ocms_report_file_type_created", "report_type", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_type: Mapped[str] = mapped_column(String(30), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    storage_path: Mapped[str] = mapped_column(String(500), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    created_by: Mapped[Optional[str]] = mapped_column(String(64))  # a caller: "jwt:" + a 50-character officer id
    params: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON(none_as_null=True))


class DecisionLog(Base):
    """One applied (or dry-run) rules-engine decision (DESIGN.md §5).

    On PostgreSQL the table is partitioned by month of ``decided_at`` and its
    primary key is ``(id, decided_at)`` (migration 0002, repository/partitions.py);
    ``id`` alone still identifies a row (one sequence). The subject index holds
    ``id`` too, so "newest first" is read from it without a sort.
    """

    __tablename__ = "ocms_decision_log"
    __table_args__ = (
        Index("ix_ocms_decision_log_subject", "subject", "decided_at", "id"),
        Index("ix_ocms_decision_log_ruleset", "ruleset", "decided_at"),
        Index("ix_ocms_decision_log_request_id", "request_id"),
    )

    # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    decided_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    caller: Mapped[Optional[str]] = mapped_column(String(64))  # "cas", "jwt:" + a 50-character officer id
    ruleset: Mapped[str] = mapped_column(String(64), nullable=False)
    ruleset_version: Mapped[Optional[str]] = mapped_column(String(20))
    ruleset_hash: Mapped[Optional[str]] = mapped_column(String(64))
    subject: Mapped[Optional[str]] = mapped_column(String(64))
    facts: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    outcome: Mapped[Optional[str]] = mapped_column(String(50))
    outputs: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    actions: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    fired_rules: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # parameter overrides the decision was made with (e.g. from ocms_parameter), so replay decides alike
    parameters: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))


class RulesState(Base):
    """The published rules in service: generation (a row of ``ocms_rules_version``), its bundle hash,
    the shadow run in force, and the last refused reload (the same for every worker)."""

    __tablename__ = "ocms_rules_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # 'active'
    dir_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    updated_by: Mapped[Optional[str]] = mapped_column(String(50))
    shadow_id: Mapped[Optional[int]] = mapped_column(Integer)  # ocms_rules_shadow.id in force, or none
    last_rejected: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))  # {at, by, directory, errors}
