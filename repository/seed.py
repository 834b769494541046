"""Seed a database: reference data (always) and a reproducible demo data set.

Both functions insert set-based (one batched INSERT per table), never commit
(the caller's unit of work does) and are idempotent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from . import business_time
from .advisory import ManualReviewQueue
from .base import SYSTEM_USER, now
from .demo_rows import INSERT_ORDER, build_demo_rows
from .notifications import REVIEW, AnNotification
from .reference import OffenceRuleCode, Parameter, StageMap
from .seed_data import PARAMETERS, RULE_CODES, stage_map_pairs

#: Parameter row that marks a database as demo-seeded: ('DEMO_SEED', 'SEED') = the seed.
DEMO_MARKER = ("DEMO_SEED", "SEED")
DEFAULT_SEED = 20261123


def _insert_missing(session: Session, model: type, key_columns: tuple[str, ...], rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose key is not yet in the table; return how many were inserted."""
    columns = [getattr(model, c) for c in key_columns]
    existing = {tuple(r) for r in session.execute(select(*columns))}
    new = [r for r in rows if tuple(r[c] for c in key_columns) not in existing]
    if new:
        session.execute(insert(model), new)
    return len(new)


def seed_reference(session: Session) -> dict[str, int]:
    """Insert the reference parameters, offence rule codes and stage map that are missing.

    Existing rows (possibly edited by analysts) are left alone. Returns the
    number of rows inserted per table.
    """
    stamp = now()
    audit = {"cre_date": stamp, "cre_user_id": SYSTEM_USER}
    parameters = [
        {"parameter_id": p, "code": c, "value": v, "description": d, **audit} for p, c, v, d in PARAMETERS
    ]
    rule_codes = [
        {"computer_rule_code": code, "rule_description": desc, "composition_amount": amount,
         "offence_notice_type": kind, "effective_from": date(2020, 1, 1), "effective_to": None, **audit}
        for code, desc, amount, kind in RULE_CODES
    ]
    stage_map = [
        {"last_processing_stage": a, "next_processing_stage": b, "description": f"{a} to {b}", **audit}
        for a, b in stage_map_pairs()
    ]
    return {
        Parameter.__tablename__: _insert_missing(session, Parameter, ("parameter_id", "code"), parameters),
        OffenceRuleCode.__tablename__: _insert_missing(session, OffenceRuleCode, ("computer_rule_code",), rule_codes),
        StageMap.__tablename__: _insert_missing(
            session, StageMap, ("last_processing_stage", "next_processing_stage"), stage_map),
    }


def is_demo_seeded(session: Session) -> bool:
    """Tell whether :func:`seed_demo` already ran on this database."""
    return session.get(Parameter, DEMO_MARKER) is not None


def seed_demo(
    session: Session, seed: int = DEFAULT_SEED, notices: int = 3000, *, today: date | None = None
) -> dict[str, int]:
    """Seed reference data plus a realistic demo set of ``notices`` notices.

    Reproducible: the same ``seed`` and ``today`` (default: the business date today,
    which the stage dates are relative to) give the same rows. Covers every
    processing stage, offence types O/E/U, vehicle types S/D/V/I/F/X, paid and
    unpaid, TS/PS suspensions (ANS, DBB, OLD, CLV, APP, FP, PRA), every offender
    role (O, D, H, DIR), court cases, VIP vehicles, AN notices and their logs (each notified AN with its
    DONE ``ocms_an_notification`` row; the AN review queue's items in REVIEW, linked by :func:`link_an_reviews`).

    Does nothing on an already demo-seeded database. Returns the rows inserted
    per table (all zero when already seeded).
    """
    tables = [Parameter.__tablename__, OffenceRuleCode.__tablename__, StageMap.__tablename__]
    tables += [model.__tablename__ for model in INSERT_ORDER]
    counts = dict.fromkeys(tables, 0)
    if is_demo_seeded(session):
        return counts
    counts.update(seed_reference(session))
    demo = build_demo_rows(seed, notices, today or business_time.today())
    for model in INSERT_ORDER:
        rows = demo.rows.get(model, [])
        if rows:
            session.execute(insert(model), rows)
        counts[model.__tablename__] = len(rows)
    link_an_reviews(session)
    session.add(Parameter(parameter_id=DEMO_MARKER[0], code=DEMO_MARKER[1], value=str(seed),
                          description=f"Demo data seeded: {notices} notices", cre_date=now(),
                          cre_user_id=SYSTEM_USER))
    session.flush()
    counts[Parameter.__tablename__] += 1
    return counts


def link_an_reviews(session: Session) -> int:
    """Link each seeded AN notification in REVIEW to its OPEN ``AN_*`` queue item, both ways, as the job does.

    The job knows both ids when it queues an item (``review_id`` on the work row, ``workId`` in the item's
    details); seeded rows get their ids from the database, so they are linked once inserted. Returns the links made.
    """
    W, Q = AnNotification, ManualReviewQueue
    item = (select(Q.id).where(Q.notice_no == W.notice_no, Q.review_type.like("AN_%"), Q.status == "OPEN")
            .order_by(Q.id.desc()).limit(1).scalar_subquery())
    session.execute(update(W).where(W.status == REVIEW, W.review_id.is_(None)).values(review_id=item)
                    .execution_options(synchronize_session=False))
    linked = 0
    for work_id, queue in session.execute(select(W.id, Q).join(Q, Q.id == W.review_id).where(W.status == REVIEW)):
        if (queue.details or {}).get("workId") is None:
            queue.details = {**(queue.details or {}), "workId": work_id}
            linked += 1
    session.flush()
    return linked


def table_counts(session: Session, models: tuple[type, ...] = INSERT_ORDER) -> dict[str, int]:
    """Return the number of rows in each table of ``models`` (for reports and tests)."""
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in models}
