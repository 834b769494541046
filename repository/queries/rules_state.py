"""The rules-reload signal shared by all workers (``ocms_rules_state``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..base import now
from ..operations import RulesState

ACTIVE = "active"


def get_rules_state(session: Session, name: str = ACTIVE) -> RulesState | None:
    """Return the current rules state row (fresh from the database), or None before the first load."""
    return session.get(RulesState, name, populate_existing=True)


def get_rules_generation(session: Session, name: str = ACTIVE) -> int:
    """Return the rules generation (0 before the first bump): a cheap poll for workers."""
    value = session.scalar(select(RulesState.generation).where(RulesState.name == name))
    return int(value or 0)


def bump_rules_state(session: Session, dir_hash: str, *, updated_by: str | None = None, name: str = ACTIVE) -> int:
    """Record that the rules were (re)loaded from a directory hashing to ``dir_hash``.

    Increments the generation atomically (one upsert on SQLite and PostgreSQL)
    and returns the new generation; workers that see a higher one reload.
    """
    stamp = now()
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(RulesState).values(
            name=name, dir_hash=dir_hash, generation=1, updated_at=stamp, updated_by=updated_by
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[RulesState.name],
            set_={
                "generation": RulesState.generation + 1,
                "dir_hash": stmt.excluded.dir_hash,
                "updated_at": stmt.excluded.updated_at,
                "updated_by": stmt.excluded.updated_by,
            },
        ).returning(RulesState.generation)
        generation = session.execute(stmt).scalar_one()
    else:  # portable fallback: update, else insert
        result = session.execute(
            update(RulesState)
            .where(RulesState.name == name)
            .values(generation=RulesState.generation + 1, dir_hash=dir_hash, updated_at=stamp, updated_by=updated_by)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:
            session.add(RulesState(name=name, dir_hash=dir_hash, generation=1, updated_at=stamp, updated_by=updated_by))
            session.flush()
        generation = get_rules_generation(session, name)
    return int(generation)
