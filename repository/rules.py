"""Published rules versions, the workers serving them, and shadow runs (issue 9 item 6, issue 15).

* ``ocms_rules_blob``: each distinct file content once, by its sha256 (content-addressed);
* ``ocms_rules_bundle`` / ``ocms_rules_bundle_file``: a set of ruleset files (a rules
  version's content), by the bundle hash, each file pointing at its blob;
* ``ocms_rules_version``: every published version — generation, bundle, who, when, from where;
  ``ocms_rules_state`` (operations.py) names the generation in service;
* ``ocms_rules_worker``: one heartbeat row per live worker: the generation (and shadow) it serves;
* ``ocms_rules_shadow`` / ``_shadow_count`` / ``_shadow_diff``: candidate rules run beside the
  rules in service on live decisions, never applied, and the decisions where they differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, now


class RulesBlob(Base):
    """One file content, stored once whatever the versions sharing it."""

    __tablename__ = "ocms_rules_blob"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the UTF-8 text
    content: Mapped[str] = mapped_column(Text, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)


class RulesBundle(Base):
    """A set of ruleset files, identified by the hash of all of them (``engine.bundle.bundle_hash``)."""

    __tablename__ = "ocms_rules_bundle"

    bundle_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)


class RulesBundleFile(Base):
    """One file of a bundle: its name, the ruleset it defines, and its content's blob."""

    __tablename__ = "ocms_rules_bundle_file"
    __table_args__ = (Index("ix_ocms_rules_bundle_file_ruleset", "ruleset", "ruleset_hash"),)

    bundle_hash: Mapped[str] = mapped_column(ForeignKey("ocms_rules_bundle.bundle_hash"), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    content_hash: Mapped[str] = mapped_column(ForeignKey("ocms_rules_blob.content_hash"), nullable=False)
    ruleset: Mapped[Optional[str]] = mapped_column(String(64))
    ruleset_version: Mapped[Optional[str]] = mapped_column(String(20))
    ruleset_hash: Mapped[Optional[str]] = mapped_column(String(64))  # the hash decisions record (decision log)


class RulesVersion(Base):
    """A published rules version: generation N is the N-th publication (a rollback is a new one)."""

    __tablename__ = "ocms_rules_version"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bundle_hash: Mapped[str] = mapped_column(ForeignKey("ocms_rules_bundle.bundle_hash"), nullable=False)
    published_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    published_by: Mapped[Optional[str]] = mapped_column(String(50))
    source: Mapped[Optional[str]] = mapped_column(String(500))  # directory or upload it came from
    rulesets: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))  # {name: {version, hash, file}}


class RulesWorker(Base):
    """A worker's heartbeat: what it serves now (rows older than the heartbeat timeout are dead workers)."""

    __tablename__ = "ocms_rules_worker"

    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:token
    host: Mapped[Optional[str]] = mapped_column(String(100))
    pid: Mapped[Optional[int]] = mapped_column(Integer)
    generation: Mapped[Optional[int]] = mapped_column(Integer)
    bundle_hash: Mapped[Optional[str]] = mapped_column(String(64))
    shadow_id: Mapped[Optional[int]] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    error: Mapped[Optional[str]] = mapped_column(Text)  # why it does not serve the published generation


class RulesShadow(Base):
    """A shadow run: candidate rules decided beside the rules in service, never applied."""

    __tablename__ = "ocms_rules_shadow"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bundle_hash: Mapped[str] = mapped_column(ForeignKey("ocms_rules_bundle.bundle_hash"), nullable=False)
    source: Mapped[Optional[str]] = mapped_column(String(500))
    rulesets: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    started_by: Mapped[Optional[str]] = mapped_column(String(50))
    stopped_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    stopped_by: Mapped[Optional[str]] = mapped_column(String(50))


class RulesShadowCount(Base):
    """Decisions a shadow run compared and found different, per ruleset (summed over workers)."""

    __tablename__ = "ocms_rules_shadow_count"

    shadow_id: Mapped[int] = mapped_column(ForeignKey("ocms_rules_shadow.id"), primary_key=True)
    ruleset: Mapped[str] = mapped_column(String(64), primary_key=True)
    compared: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    differed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    dropped: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # differences not kept (buffer full)


class RulesShadowDiff(Base):
    """One live decision the shadow decided differently: both answers, and the facts."""

    __tablename__ = "ocms_rules_shadow_diff"
    __table_args__ = (Index("ix_ocms_rules_shadow_diff_shadow", "shadow_id", "ruleset", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True)
    shadow_id: Mapped[int] = mapped_column(ForeignKey("ocms_rules_shadow.id"), nullable=False)
    decided_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    caller: Mapped[Optional[str]] = mapped_column(String(50))
    ruleset: Mapped[str] = mapped_column(String(64), nullable=False)
    facts: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    parameters: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))
    live_outcome: Mapped[Optional[str]] = mapped_column(String(50))
    shadow_outcome: Mapped[Optional[str]] = mapped_column(String(50))
    live: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))  # {outcome, code, firedRules, outputs, actions}
    shadow: Mapped[Optional[Any]] = mapped_column(JSON(none_as_null=True))  # the same, or {error}
