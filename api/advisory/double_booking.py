"""Double booking (BR-AN-DUP-002): gather the facts, let rules/double_booking.yaml decide.

Candidates are ALL the vehicle's other notices dated within the ruleset's
``max_seconds_apart`` of the new one (:func:`window`; 0 today: the same date
and time) — the only notices the rule could call a double booking, found by
the ``vehicle_no, notice_date_and_time`` index however many other notices the
vehicle has (no "nearest N": a LIMIT let the match fall off). Each is compared
with the new notice as facts (same vehicle, same rule code, seconds apart,
same car park) and the ruleset decides which criteria make a double booking.
A criterion over a wider time span needs a larger ``max_seconds_apart``. The query is tried :data:`ATTEMPTS` times, each in a savepoint (a
failed statement must not poison the intake's transaction on PostgreSQL); if
all fail the ruleset is asked with ``check_failed: true`` (TS-OLD fallback).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import ValidOffenceNotice

log = logging.getLogger(__name__)

RULESET = "double_booking"
ATTEMPTS = 3
#: The ruleset parameter that bounds how far apart a double booking's date/times may be (seconds).
WINDOW_PARAMETER = "max_seconds_apart"


@dataclass(frozen=True)
class Candidate:
    """An existing notice that might be the same offence."""

    notice_no: str
    vehicle_no: str
    computer_rule_code: int
    notice_date_and_time: datetime
    pp_code: str | None


#: ``query(session, notice, window)``: the candidates of ``notice`` within ``window`` of its date and time.
CandidateQuery = Callable[[Session, ValidOffenceNotice, timedelta], Sequence[Candidate]]


def window(ruleset_parameters: dict) -> timedelta:
    """How far from the new notice's date and time a double booking can be: the ruleset's max_seconds_apart."""
    try:
        seconds = int(ruleset_parameters.get(WINDOW_PARAMETER) or 0)
    except (TypeError, ValueError):
        seconds = 0
    return timedelta(seconds=max(seconds, 0))


def find_candidates(session: Session, notice: ValidOffenceNotice, within: timedelta = timedelta(0)) -> list[Candidate]:
    """Every other notice of the vehicle dated within ``within`` of ``notice`` (both ends included), oldest first.

    One index range scan (vehicle_no, notice_date_and_time); no LIMIT, so a
    vehicle with many notices near the new one cannot hide the matching one.
    """
    t = notice.notice_date_and_time
    rows = session.execute(
        select(ValidOffenceNotice.notice_no, ValidOffenceNotice.vehicle_no, ValidOffenceNotice.computer_rule_code,
               ValidOffenceNotice.notice_date_and_time, ValidOffenceNotice.pp_code)
        .where(ValidOffenceNotice.vehicle_no == notice.vehicle_no,
               ValidOffenceNotice.notice_date_and_time >= t - within,
               ValidOffenceNotice.notice_date_and_time <= t + within,
               ValidOffenceNotice.notice_no != notice.notice_no)
        .order_by(ValidOffenceNotice.notice_date_and_time, ValidOffenceNotice.notice_no))
    return [Candidate(*r) for r in rows]


def candidates_with_retry(session: Session, notice: ValidOffenceNotice, query: CandidateQuery = find_candidates,
                          attempts: int = ATTEMPTS, within: timedelta = timedelta(0)) -> list[Candidate] | None:
    """Run ``query`` up to ``attempts`` times, each in a savepoint; None if every attempt failed."""
    for attempt in range(1, attempts + 1):
        try:
            with session.begin_nested():
                return list(query(session, notice, within))
        except Exception as e:
            log.warning("DBB query for notice %s failed (attempt %d of %d): %s", notice.notice_no, attempt, attempts,
                        f"{type(e).__name__}: {e}"[:300])
    return None


def dbb_facts(notice: ValidOffenceNotice, candidates: list[Candidate] | None) -> list[dict]:
    """One fact set per candidate; one with no comparison when there is none; check_failed when the query failed."""
    if candidates is None:
        return [{"check_failed": True}]
    if not candidates:
        return [{"check_failed": False}]
    return [{
        "check_failed": False,
        "same_vehicle_no": c.vehicle_no == notice.vehicle_no,
        "same_computer_rule_code": c.computer_rule_code == notice.computer_rule_code,
        "seconds_apart": int(abs((c.notice_date_and_time - notice.notice_date_and_time).total_seconds())),
        "same_pp_code": (c.pp_code == notice.pp_code) if c.pp_code is not None and notice.pp_code is not None else None,
    } for c in candidates]


__all__ = ["ATTEMPTS", "Candidate", "CandidateQuery", "RULESET", "WINDOW_PARAMETER", "candidates_with_retry",
           "dbb_facts", "find_candidates", "window"]
