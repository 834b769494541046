"""Business dates of the daily jobs, and where a notice goes next (rules/stage_map.yaml, via the engine).

* :func:`job_day` — a job's run key as its business date (``YYYY-MM-DD``; never a future day).
* :func:`due_before` — the bound of "has come": a date or datetime column is due on ``day`` when it is
  earlier than the next midnight (a notice due at 10:00 today moves in today's run).
* :func:`run_time` — the timestamps a run for ``day`` writes: now for today, the same time of day on
  ``day`` for a catch-up run of an earlier day (its next dates then count from that day, so the next
  runs catch up).
* :func:`resume_after_revival` — a revived notice goes on from its stage: next stage and date from the
  stage map row of the stage it is at (set-based, one UPDATE per distinct (previous, current) stage).
"""
from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from typing import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import RuleRegistry
from repository.models import SYSTEM_USER, ValidOffenceNotice, now

from .batch import in_batch, sync_mirror

STAGE_MAP = "stage_map"
ALLOWED = "ALLOWED"


class BadRunKey(ValueError):
    """A job's run key is not a business date it may run for."""


def today() -> dt.date:
    """The business date: today in ``OCMS_TIMEZONE`` (default Asia/Singapore), whatever the host's zone.

    The scheduler derives run keys in business time, so a key is "today" there even while the host's own
    date (UTC, say) is still the day before; such a key is never refused as a future day.
    """
    from api.config import business_zone
    return max(now().date(), dt.datetime.now(business_zone(os.environ.get("OCMS_TIMEZONE"))).date())


def business_day() -> str:
    """Today's business date as a run key (the default key of the OCMS 14 jobs)."""
    return today().isoformat()


def job_day(run_key: str) -> dt.date:
    """The business date a run key names; :class:`BadRunKey` for other text or a day after today."""
    try:
        day = dt.date.fromisoformat(str(run_key).strip())
    except ValueError:
        raise BadRunKey(f"run key {run_key!r} must be a business date YYYY-MM-DD") from None
    if day > today():
        raise BadRunKey(f"run key {day.isoformat()} is after today's business date {today().isoformat()}: "
                        "a job never runs ahead of time")
    return day


def due_before(day: dt.date) -> dt.datetime:
    """Midnight after ``day``: a column is due on ``day`` when it is before this."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def run_time(day: dt.date) -> dt.datetime:
    """The time a run for ``day`` stamps: now if ``day`` is today, else now's time of day on ``day``."""
    current = now()
    return current if day == current.date() else dt.datetime.combine(day, current.time())


def next_after(registry: RuleRegistry, pairs: Sequence[tuple[str | None, str]]) -> dict[tuple, tuple | None]:
    """(previous stage, stage) → (next stage, stage days) of the stage map row for ``stage``, None if the
    map does not allow moving from the previous stage to ``stage``."""
    wanted = sorted(set(pairs), key=lambda p: (p[0] or "", p[1]))
    decisions = registry.evaluate_many(STAGE_MAP, [{"new_processing_stage": s, "last_processing_stage": p}
                                                   for p, s in wanted]) if wanted else []
    out = {}
    for pair, d in zip(wanted, decisions):
        days = d.outputs.get("stage_days")
        out[pair] = ((d.outputs.get("next_processing_stage"), int(days) if days is not None else None)
                     if d.outcome == ALLOWED else None)
    return out


def resume_after_revival(session: Session, registry: RuleRegistry, notice_nos: Sequence[str], when: dt.datetime,
                         user: str = SYSTEM_USER) -> dict[str, tuple]:
    """Set each notice's next stage and date from the stage map (stage days counted from ``when``).

    A notice whose stage has no row in the map keeps its next stage and date. Returns
    notice → (next stage, next date) for the notices updated.
    """
    if not notice_nos:
        return {}
    V = ValidOffenceNotice
    stages = session.execute(select(V.notice_no, V.prev_processing_stage, V.last_processing_stage)
                             .where(in_batch(session, V.notice_no, notice_nos))).all()
    groups: dict[tuple, list[str]] = defaultdict(list)
    for n, prev, last in stages:
        if last:
            groups[(prev, last)].append(n)
    following = next_after(registry, list(groups))
    out: dict[str, tuple] = {}
    for pair, members in groups.items():
        if following[pair] is None or following[pair][0] is None:
            continue
        next_stage, days = following[pair]
        next_date = when + dt.timedelta(days=days) if days is not None else None
        session.execute(update(V).where(in_batch(session, V.notice_no, members)).values(
            next_processing_stage=next_stage, next_processing_date=next_date, upd_date=when, upd_user_id=user)
            .execution_options(synchronize_session=False))
        out.update(dict.fromkeys(members, (next_stage, next_date)))
    sync_mirror(session, list(out), ["next_processing_stage", "next_processing_date", "upd_date", "upd_user_id"])
    return out


__all__ = ["BadRunKey", "business_day", "due_before", "job_day", "next_after", "resume_after_revival", "run_time", "today"]
