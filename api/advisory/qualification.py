"""AN qualification facts (OCMS 10 §3.1) gathered from the database for rules/an_qualification.yaml.

The switches are the ruleset's parameters (``same_day_check``,
``past_offence_mode``, ``past_offence_window_start``); an operator may override the first two with ``ocms_parameter``
rows AN_QUALIFICATION/SAME_DAY_CHECK (Y|N) and /PAST_OFFENCE_MODE
(ANY|PS_REASONS), which are not seeded. PAST_OFFENCE_MONTHS (24) and
PS_REASONS (comma-separated) are seeded: they shape the queries, not the rules. Only the counts the
switches need are queried. An override row holding none of those values (PAST_OFFENCE_MONTHS: a whole
number of 1-1200) is ignored with a warning in the log: the ruleset's switch (24 months) stands.

The past-offence window (BR-AN-QUAL-002) is §3.1's SQL::

    notice_date_and_time >= [currentDate - 24 months] AND notice_date_and_time < [currentNoticeDate]

``currentDate`` is the business date the notice is received (00:00, Singapore
time by default: repository/business_time.py), so a notice received long after
its date looks back from the day it arrived. ``past_offence_window_start:
notice_date`` (the old behaviour) anchors the window at the notice's own date
and time instead.
"""
from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from repository import business_time
from repository.models import ValidOffenceNotice
from repository.queries import count_past_offences
from repository.reference_cache import get_parameters

log = logging.getLogger(__name__)

RULESET = "an_qualification"
PARAMETER_ID = "AN_QUALIFICATION"
DEFAULT_MONTHS = 24
#: Ruleset parameter: where the past-offence window starts (``current_date``, the spec; or ``notice_date``).
WINDOW_START = "past_offence_window_start"
CURRENT_DATE, NOTICE_DATE = "current_date", "notice_date"


def months_before(t: datetime, months: int) -> datetime:
    """``t`` minus ``months`` calendar months (the day clamped to the month's length: 31 Mar - 1 month = 28/29 Feb)."""
    total = t.year * 12 + (t.month - 1) - months
    year, month = divmod(total, 12)
    day = min(t.day, calendar.monthrange(year, month + 1)[1])
    return t.replace(year=year, month=month + 1, day=day)


#: ``ocms_parameter`` values of SAME_DAY_CHECK read as on / off (any other value is ignored).
_ON, _OFF = ("Y", "YES", "TRUE", "1"), ("N", "NO", "FALSE", "0")
#: The past-offence modes the ruleset's rules know (rules/an_qualification.yaml).
PAST_OFFENCE_MODES = ("any", "ps_reasons")
#: PAST_OFFENCE_MONTHS must be a whole number in this range (more would reach back past year 1).
MONTHS_RANGE = (1, 1200)
_warned: set[tuple[str, str]] = set()


def _ignored(code: str, value, used) -> None:
    """Log once per (code, value) that an operator's ocms_parameter value is unusable and what is used instead."""
    key = (code, repr(value))
    if key not in _warned:
        _warned.add(key)
        log.warning("ocms_parameter %s/%s = %r is not a valid value; %r is used instead", PARAMETER_ID, code, value,
                    used)


def settings(session: Session, ruleset_parameters: dict) -> tuple[dict, int, list[str]]:
    """(rule parameters, window in months, PS reasons) after the ocms_parameter overrides.

    An override that is not a valid value (a typo in an operator's SQL: SAME_DAY_CHECK ``maybe``,
    PAST_OFFENCE_MODE ``anny``, PAST_OFFENCE_MONTHS ``abc`` or ``99999``) is ignored with a warning
    (once per value): the ruleset's switch, or 24 months, stands. It never fails an intake.
    """
    rows = get_parameters(session, PARAMETER_ID)
    params = dict(ruleset_parameters)
    if "SAME_DAY_CHECK" in rows:
        value = (rows["SAME_DAY_CHECK"] or "").strip().upper()
        if value in _ON or value in _OFF:
            params["same_day_check"] = value in _ON
        else:
            _ignored("SAME_DAY_CHECK", rows["SAME_DAY_CHECK"], params.get("same_day_check"))
    if "PAST_OFFENCE_MODE" in rows:
        value = (rows["PAST_OFFENCE_MODE"] or "").strip().lower()
        if value in PAST_OFFENCE_MODES:
            params["past_offence_mode"] = value
        else:
            _ignored("PAST_OFFENCE_MODE", rows["PAST_OFFENCE_MODE"], params.get("past_offence_mode"))
    months = DEFAULT_MONTHS
    raw = rows.get("PAST_OFFENCE_MONTHS")
    if raw is not None and str(raw).strip():
        try:
            months = int(str(raw).strip())
        except ValueError:
            months = -1
        if not MONTHS_RANGE[0] <= months <= MONTHS_RANGE[1]:
            _ignored("PAST_OFFENCE_MONTHS", raw, DEFAULT_MONTHS)
            months = DEFAULT_MONTHS
    # Reason codes are stored upper-case (DESIGN.md §10): " ans, fp" means ANS and FP.
    reasons = [r.strip().upper() for r in (rows.get("PS_REASONS") or "ANS").split(",") if r.strip()]
    return params, months, reasons


def same_day_start(notice: ValidOffenceNotice) -> datetime:
    """00:00 of the day the notice is dated (BR-AN-SAMEDAY-001 counts the vehicle's ANs of that day)."""
    return notice.notice_date_and_time.replace(hour=0, minute=0, second=0, microsecond=0)


def same_day_an_count(session: Session, notice: ValidOffenceNotice) -> int:
    """ANs (an_flag Y) of the vehicle dated the same day as ``notice``, other than itself."""
    day = same_day_start(notice)
    return session.scalar(select(func.count()).select_from(ValidOffenceNotice).where(
        ValidOffenceNotice.vehicle_no == notice.vehicle_no, ValidOffenceNotice.an_flag == "Y",
        ValidOffenceNotice.notice_date_and_time >= day,
        ValidOffenceNotice.notice_date_and_time < day + timedelta(days=1),
        ValidOffenceNotice.notice_no != notice.notice_no)) or 0


def window_start(params: dict, notice_time: datetime, months: int) -> datetime:
    """The first instant of the past-offence window: ``currentDate - months`` (the spec), or ``notice date - months``."""
    if params.get(WINDOW_START) == NOTICE_DATE:
        return months_before(notice_time, months)
    return months_before(business_time.day_start(business_time.today()), months)


@dataclass(frozen=True)
class Plan:
    """What the qualification of one notice must count, from the settings alone (no query)."""

    #: The ruleset parameters after the ocms_parameter overrides (passed to the engine).
    params: dict
    #: First instant of the past-offence window (:func:`window_start`); it ends at the notice's date and time.
    since: datetime
    #: PS reasons a past offence must be suspended under (``past_offence_mode: ps_reasons``), else None.
    ps_reasons: list[str] | None
    #: 00:00 of the notice's day if ``same_day_check`` is on, else None.
    same_day_start: datetime | None


def plan(session: Session, notice: ValidOffenceNotice, ruleset_parameters: dict) -> Plan:
    """The counts ``notice``'s qualification needs (parameters from the reference cache: no query)."""
    params, months, reasons = settings(session, ruleset_parameters)
    return Plan(params, window_start(params, notice.notice_date_and_time, months),
                reasons if params.get("past_offence_mode") == "ps_reasons" else None,
                same_day_start(notice) if params.get("same_day_check") else None)


def facts_from(notice: ValidOffenceNotice, past_offences: int, past_qualifying_offences: int | None = None,
               same_day_ans: int | None = None) -> dict:
    """The an_qualification facts of ``notice`` given its vehicle's counts (None: not asked by the plan)."""
    facts = {
        "offence_notice_type": notice.offence_notice_type,
        "vehicle_registration_type": notice.vehicle_registration_type,
        "computer_rule_code": notice.computer_rule_code,
        "composition_amount": notice.composition_amount,
        "vehicle_category": notice.vehicle_category,
        # [currentDate - 24 months, notice date): the notice itself (dated t) is outside.
        "past_offences_24m": past_offences,
    }
    if past_qualifying_offences is not None:
        facts["past_qualifying_offences_24m"] = past_qualifying_offences
    if same_day_ans is not None:
        facts["same_day_an_count"] = same_day_ans
    return facts


def qualification_facts(session: Session, notice: ValidOffenceNotice, ruleset_parameters: dict) -> tuple[dict, dict]:
    """(facts, parameters) for an_qualification: the notice's fields and its vehicle's history, one query per count.

    ``past_offences_24m`` counts the vehicle's other notices dated in
    ``[window_start, notice date and time)`` (§3.1; :func:`window_start`). The intake's usual path reads
    the same counts with its double-booking candidates in one statement
    (:func:`repository.queries.vehicle_history`); this is its path after that statement failed.
    """
    p = plan(session, notice, ruleset_parameters)
    t = notice.notice_date_and_time
    past = count_past_offences(session, notice.vehicle_no, p.since, t, exclude_notice_no=notice.notice_no)
    qualifying = None if p.ps_reasons is None else count_past_offences(
        session, notice.vehicle_no, p.since, t, ps_reasons=p.ps_reasons, exclude_notice_no=notice.notice_no)
    same_day = same_day_an_count(session, notice) if p.same_day_start is not None else None
    return facts_from(notice, past, qualifying, same_day), p.params


__all__ = ["Plan", "RULESET", "WINDOW_START", "facts_from", "months_before", "plan", "qualification_facts",
           "same_day_an_count", "same_day_start", "settings", "window_start"]
