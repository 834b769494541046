"""Published rules versions, worker heartbeats, refused reloads and shadow runs.

Each function takes a Session and never commits (the caller's unit of work does).
The tables are described in :mod:`repository.rules`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..base import now
from ..operations import RulesState
from ..rules import (
    RulesBlob, RulesBundle, RulesBundleFile, RulesShadow, RulesShadowCount, RulesShadowDiff, RulesVersion, RulesWorker,
)

ACTIVE = "active"


def _dialect_insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the service runs on PostgreSQL and SQLite only
        raise NotImplementedError(f"upserts on {name}")
    return dialect_insert


# ---- bundles (content) ------------------------------------------------------------
def store_bundle(session: Session, bundle_hash: str, files: Mapping[str, str], file_hashes: Mapping[str, str],
                 rulesets: Mapping[str, Mapping[str, Any]] | None = None) -> bool:
    """Store a bundle's files once (blobs by content hash); True if the bundle was new.

    ``rulesets`` maps file name to ``{"ruleset", "version", "hash"}`` of the ruleset it defines.
    """
    if session.get(RulesBundle, bundle_hash) is not None:
        return False
    ins = _dialect_insert(session)
    blobs = [{"content_hash": file_hashes[n], "content": t, "size": len(t.encode("utf-8"))} for n, t in files.items()]
    if blobs:
        session.execute(ins(RulesBlob).on_conflict_do_nothing(index_elements=["content_hash"]), blobs)
    session.execute(insert(RulesBundle), [{"bundle_hash": bundle_hash, "file_count": len(files), "created_at": now()}])
    meta = rulesets or {}
    rows = [{"bundle_hash": bundle_hash, "file_name": n, "content_hash": file_hashes[n],
             "ruleset": (meta.get(n) or {}).get("ruleset"), "ruleset_version": (meta.get(n) or {}).get("version"),
             "ruleset_hash": (meta.get(n) or {}).get("hash")} for n in files]
    if rows:
        session.execute(insert(RulesBundleFile), rows)
    return True


def bundle_files(session: Session, bundle_hash: str) -> dict[str, str]:
    """``{file name: text}`` of a stored bundle (empty if unknown)."""
    rows = session.execute(
        select(RulesBundleFile.file_name, RulesBlob.content)
        .join(RulesBlob, RulesBlob.content_hash == RulesBundleFile.content_hash)
        .where(RulesBundleFile.bundle_hash == bundle_hash)
    ).all()
    return {name: text for name, text in rows}


def bundle_exists(session: Session, bundle_hash: str) -> bool:
    return session.get(RulesBundle, bundle_hash) is not None


# ---- the published version ----------------------------------------------------------
def get_state(session: Session) -> RulesState | None:
    """The state row, fresh from the database (None before anything was published or refused)."""
    return session.get(RulesState, ACTIVE, populate_existing=True)


def read_pointer(session: Session) -> tuple[int, str, int | None] | None:
    """``(generation, bundle hash, shadow id)`` in service, or None if nothing is published: one cheap read."""
    row = session.execute(select(RulesState.generation, RulesState.dir_hash, RulesState.shadow_id)
                          .where(RulesState.name == ACTIVE)).first()
    if row is None or not row[0]:
        return None
    return int(row[0]), row[1], row[2]


def _lock_state(session: Session) -> RulesState | None:
    stmt = select(RulesState).where(RulesState.name == ACTIVE).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def publish_version(session: Session, bundle_hash: str, *, published_by: str | None, source: str | None,
                    rulesets: Mapping[str, Any] | None, only_if_empty: bool = False) -> tuple[int, bool]:
    """Make a stored bundle the version in service; return ``(generation, published)``.

    Publishing the bundle already in service publishes nothing (``published``
    False). With ``only_if_empty`` (a worker's first start on an empty
    database) nothing is published if any version already is. Locks the state
    row (PostgreSQL), so concurrent publications get consecutive generations;
    two first publications racing on an empty table: one gets an
    IntegrityError and should retry.
    """
    state = _lock_state(session)
    if state is not None and state.generation:
        if only_if_empty or state.dir_hash == bundle_hash:
            return state.generation, False
    last = session.scalar(select(func.max(RulesVersion.generation))) or 0
    generation = last + 1
    stamp = now()
    session.add(RulesVersion(generation=generation, bundle_hash=bundle_hash, published_at=stamp,
                             published_by=published_by, source=(source or "")[:500] or None, rulesets=dict(rulesets or {})))
    if state is None:
        session.add(RulesState(name=ACTIVE, dir_hash=bundle_hash, generation=generation, updated_at=stamp,
                               updated_by=published_by))
    else:
        state.dir_hash, state.generation, state.updated_at, state.updated_by = bundle_hash, generation, stamp, published_by
        if state.shadow_id is not None:  # a shadow of exactly what is now published has nothing left to compare
            shadow = session.get(RulesShadow, state.shadow_id)
            if shadow is not None and shadow.bundle_hash == bundle_hash:
                shadow.stopped_at, shadow.stopped_by = stamp, "published"
                state.shadow_id = None
    session.flush()
    return generation, True


def get_version(session: Session, generation: int) -> RulesVersion | None:
    return session.get(RulesVersion, generation)


def list_versions(session: Session, limit: int | None = None) -> list[RulesVersion]:
    """Published versions, newest first."""
    stmt = select(RulesVersion).order_by(RulesVersion.generation.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def ruleset_history(session: Session, ruleset: str) -> list[dict]:
    """Every published generation with the file of ``ruleset`` in it, oldest first.

    Rows: ``{generation, published_at, published_by, source, file_name, version, ruleset_hash, content_hash, content}``.
    """
    rows = session.execute(
        select(RulesVersion.generation, RulesVersion.published_at, RulesVersion.published_by, RulesVersion.source,
               RulesBundleFile.file_name, RulesBundleFile.ruleset_version, RulesBundleFile.ruleset_hash,
               RulesBundleFile.content_hash, RulesBlob.content)
        .join(RulesBundleFile, RulesBundleFile.bundle_hash == RulesVersion.bundle_hash)
        .join(RulesBlob, RulesBlob.content_hash == RulesBundleFile.content_hash)
        .where(RulesBundleFile.ruleset == ruleset)
        .order_by(RulesVersion.generation)
    ).all()
    keys = ("generation", "published_at", "published_by", "source", "file_name", "version", "ruleset_hash",
            "content_hash", "content")
    return [dict(zip(keys, r)) for r in rows]


def generations_with_ruleset_hash(session: Session, ruleset: str, ruleset_hash: str) -> list[tuple[int, str]]:
    """``(generation, bundle hash)`` of every published version whose ``ruleset`` file hashes to ``ruleset_hash``."""
    rows = session.execute(
        select(RulesVersion.generation, RulesVersion.bundle_hash)
        .join(RulesBundleFile, RulesBundleFile.bundle_hash == RulesVersion.bundle_hash)
        .where(RulesBundleFile.ruleset == ruleset, RulesBundleFile.ruleset_hash == ruleset_hash)
        .order_by(RulesVersion.generation)
    ).all()
    return [(int(g), h) for g, h in rows]


def record_rejection(session: Session, rejected: Mapping[str, Any]) -> None:
    """Keep the last refused reload (``{at, by, directory, errors}``) where every worker reads it."""
    state = _lock_state(session)
    if state is None:  # nothing published yet: a row that names no generation
        session.add(RulesState(name=ACTIVE, dir_hash="", generation=0, updated_at=now(), last_rejected=dict(rejected)))
    else:
        state.last_rejected = dict(rejected)
    session.flush()


# ---- workers ---------------------------------------------------------------------------
def beat(session: Session, worker_id: str, *, host: str, pid: int, generation: int | None, bundle_hash: str | None,
         shadow_id: int | None, error: str | None, started_at: datetime, seen_at: datetime | None = None) -> None:
    """Upsert a worker's heartbeat row: what it serves, as of now."""
    ins = _dialect_insert(session)
    seen = seen_at or datetime.now()
    values = {"worker_id": worker_id, "host": host[:100], "pid": pid, "generation": generation,
              "bundle_hash": bundle_hash, "shadow_id": shadow_id, "started_at": started_at, "seen_at": seen,
              "error": error}
    stmt = ins(RulesWorker).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["worker_id"], set_={
        k: stmt.excluded[k] for k in ("generation", "bundle_hash", "shadow_id", "seen_at", "error")})
    session.execute(stmt)


def live_workers(session: Session, timeout_seconds: float) -> list[RulesWorker]:
    """Workers whose heartbeat is younger than ``timeout_seconds``."""
    since = datetime.now() - timedelta(seconds=timeout_seconds)
    return list(session.scalars(select(RulesWorker).where(RulesWorker.seen_at >= since)
                                .order_by(RulesWorker.host, RulesWorker.pid)))


def forget_worker(session: Session, worker_id: str) -> None:
    session.execute(delete(RulesWorker).where(RulesWorker.worker_id == worker_id))


def prune_workers(session: Session, older_than_seconds: float = 86400) -> int:
    """Delete heartbeat rows of workers gone for longer than ``older_than_seconds``."""
    since = datetime.now() - timedelta(seconds=older_than_seconds)
    return session.execute(delete(RulesWorker).where(RulesWorker.seen_at < since)).rowcount or 0


# ---- shadow runs ------------------------------------------------------------------------
def start_shadow(session: Session, bundle_hash: str, *, source: str | None, rulesets: Mapping[str, Any] | None,
                 started_by: str | None) -> int:
    """Stop the shadow in force (if any), start one of a stored bundle; return its id."""
    state = _lock_state(session)
    stamp = now()
    if state is None or not state.generation:
        raise LookupError("no rules version is published yet")
    if state.shadow_id is not None:
        _stop(session, state.shadow_id, started_by, stamp)
    shadow = RulesShadow(bundle_hash=bundle_hash, source=(source or "")[:500] or None, rulesets=dict(rulesets or {}),
                         started_at=stamp, started_by=started_by)
    session.add(shadow)
    session.flush()
    state.shadow_id = shadow.id
    session.flush()
    return shadow.id


def _stop(session: Session, shadow_id: int, by: str | None, stamp: datetime) -> None:
    session.execute(update(RulesShadow).where(RulesShadow.id == shadow_id, RulesShadow.stopped_at.is_(None))
                    .values(stopped_at=stamp, stopped_by=by))


def stop_shadow(session: Session, stopped_by: str | None) -> int | None:
    """Stop the shadow in force; return its id (None if there was none)."""
    state = _lock_state(session)
    if state is None or state.shadow_id is None:
        return None
    shadow_id = state.shadow_id
    _stop(session, shadow_id, stopped_by, now())
    state.shadow_id = None
    session.flush()
    return shadow_id


def get_shadow(session: Session, shadow_id: int) -> RulesShadow | None:
    return session.get(RulesShadow, shadow_id)


def latest_shadow(session: Session) -> RulesShadow | None:
    return session.scalars(select(RulesShadow).order_by(RulesShadow.id.desc()).limit(1)).first()


def add_shadow_results(session: Session, shadow_id: int, counts: Mapping[str, tuple[int, int, int]],
                       diffs: Iterable[Mapping[str, Any]]) -> None:
    """Add a worker's batch: per ruleset ``(compared, differed, dropped)`` and the difference rows."""
    ins = _dialect_insert(session)
    for ruleset, (compared, differed, dropped) in counts.items():
        stmt = ins(RulesShadowCount).values(shadow_id=shadow_id, ruleset=ruleset, compared=compared,
                                            differed=differed, dropped=dropped)
        stmt = stmt.on_conflict_do_update(index_elements=["shadow_id", "ruleset"], set_={
            "compared": RulesShadowCount.compared + stmt.excluded.compared,
            "differed": RulesShadowCount.differed + stmt.excluded.differed,
            "dropped": RulesShadowCount.dropped + stmt.excluded.dropped})
        session.execute(stmt)
    rows = [dict(r, shadow_id=shadow_id) for r in diffs]
    if rows:
        session.execute(insert(RulesShadowDiff), rows)


def shadow_counts(session: Session, shadow_id: int) -> list[RulesShadowCount]:
    return list(session.scalars(select(RulesShadowCount).where(RulesShadowCount.shadow_id == shadow_id)
                                .order_by(RulesShadowCount.ruleset)))


def shadow_pairs(session: Session, shadow_id: int) -> list[tuple[str, str | None, str | None, int]]:
    """``(ruleset, live outcome, shadow outcome, count)`` of the differences kept, most frequent first."""
    n = func.count()
    rows = session.execute(
        select(RulesShadowDiff.ruleset, RulesShadowDiff.live_outcome, RulesShadowDiff.shadow_outcome, n)
        .where(RulesShadowDiff.shadow_id == shadow_id)
        .group_by(RulesShadowDiff.ruleset, RulesShadowDiff.live_outcome, RulesShadowDiff.shadow_outcome)
        .order_by(n.desc())
    ).all()
    return [(r, lo, so, int(c)) for r, lo, so, c in rows]


def shadow_examples(session: Session, shadow_id: int, limit: int = 20, ruleset: str | None = None) -> list[RulesShadowDiff]:
    """The most recent differences kept."""
    stmt = select(RulesShadowDiff).where(RulesShadowDiff.shadow_id == shadow_id)
    if ruleset:
        stmt = stmt.where(RulesShadowDiff.ruleset == ruleset)
    return list(session.scalars(stmt.order_by(RulesShadowDiff.id.desc()).limit(limit)))
