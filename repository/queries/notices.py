"""Notice look-ups: by number, by numbers in bulk, past offences of a vehicle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Iterable

from sqlalchemy import bindparam, func, literal, select, true
from sqlalchemy.orm import Session

from ..notices import ValidOffenceNotice
from ._chunks import DEFAULT_CHUNK_SIZE, chunked, unique


def get_notice(session: Session, notice_no: str) -> ValidOffenceNotice | None:
    """Return the notice numbered ``notice_no``, or None (a notice added to the session and not yet flushed too)."""
    for obj in session.new:
        if isinstance(obj, ValidOffenceNotice) and obj.notice_no == notice_no:
            return obj
    return session.get(ValidOffenceNotice, notice_no)


_CREATED = "ocms.notices_created"


def mark_notice_created(session: Session, notice_no: str) -> None:
    """Record that the session's current transaction creates notice ``notice_no`` (the intake).

    Until that transaction ends, :func:`notice_created_here` is True for it: no other transaction
    can see the notice, so writers may skip its row lock (:func:`repository.queries.next_sr_no`
    numbers its suspensions from what this transaction gave out), and the creator promises to write
    its internet mirror whole before commit (``api.decisions.apply`` then leaves the mirror to it).
    Every suspension of such a notice must be numbered by ``next_sr_no`` in this session.
    """
    _created(session, create=True)[notice_no] = 0


def notice_created_here(session: Session, notice_no: str) -> bool:
    """True if the session's current transaction creates notice ``notice_no`` (:func:`mark_notice_created`)."""
    created = _created(session)
    return created is not None and notice_no in created


def _created(session: Session, create: bool = False) -> dict[str, int] | None:
    """notice number -> last sr_no given out, of the notices the current transaction creates."""
    if create:
        session.connection()  # begin the transaction if it has not begun yet
    txn = session.get_transaction()
    held = session.info.get(_CREATED)
    if held is not None and txn is not None and held[0] is txn:
        return held[1]
    if not create:
        return None
    held = session.info[_CREATED] = (txn, {})
    return held[1]


def get_notices(
    session: Session, notice_nos: Iterable[str], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> dict[str, ValidOffenceNotice]:
    """Return the notices found among ``notice_nos``, keyed by number, in input order.

    One ``IN`` query per ``chunk_size`` numbers; numbers not found are absent.
    """
    wanted = unique(notice_nos)
    found: dict[str, ValidOffenceNotice] = {}
    for chunk in chunked(wanted, chunk_size):
        stmt = select(ValidOffenceNotice).where(ValidOffenceNotice.notice_no.in_(chunk))
        for notice in session.scalars(stmt):
            found[notice.notice_no] = notice
    return {no: found[no] for no in wanted if no in found}


def _past_offence_filter(from_dt: datetime, to_dt: datetime, ps_reasons: Iterable[str] | None):
    conditions = [
        ValidOffenceNotice.notice_date_and_time >= from_dt,
        ValidOffenceNotice.notice_date_and_time < to_dt,
    ]
    if ps_reasons is not None:
        conditions += [
            ValidOffenceNotice.suspension_type == "PS",
            ValidOffenceNotice.epr_reason_of_suspension.in_(list(ps_reasons)),
        ]
    return conditions


def count_past_offences(
    session: Session,
    vehicle_no: str,
    from_dt: datetime,
    to_dt: datetime,
    *,
    ps_reasons: Iterable[str] | None = None,
    exclude_notice_no: str | None = None,
) -> int:
    """Count the vehicle's notices dated in ``[from_dt, to_dt)`` (BR-AN-QUAL-002).

    With ``ps_reasons`` only notices under PS with one of those reasons count
    (FD v1.2's "past offence with ANS PS reasons" mode); by default any past
    offence counts, as the code does.
    """
    stmt = select(func.count()).select_from(ValidOffenceNotice).where(
        ValidOffenceNotice.vehicle_no == vehicle_no,
        *_past_offence_filter(from_dt, to_dt, ps_reasons),
    )
    if exclude_notice_no is not None:
        stmt = stmt.where(ValidOffenceNotice.notice_no != exclude_notice_no)
    return session.scalar(stmt) or 0


@dataclass(frozen=True)
class VehicleHistory:
    """What the intake needs of a vehicle's other notices (:func:`vehicle_history`)."""

    #: (notice_no, vehicle_no, computer_rule_code, notice_date_and_time, pp_code) of the notices dated within
    #: the double-booking window, oldest first.
    near: list[tuple]
    #: Notices dated in ``[since, notice time)`` (BR-AN-QUAL-002).
    past_offences: int
    #: Of those, the ones under PS with one of ``ps_reasons``; None if not asked.
    past_qualifying_offences: int | None
    #: ANs (an_flag Y) dated the day starting ``same_day_start``; None if not asked.
    same_day_ans: int | None


@lru_cache(maxsize=None)
def _history_statement(with_ps_reasons: bool, with_same_day: bool, with_exclude: bool):
    """The statement of :func:`vehicle_history` for what is asked, built once (bound parameters)."""
    n = ValidOffenceNotice.__table__
    others = [n.c.vehicle_no == bindparam("vehicle_no")]
    if with_exclude:
        others.append(n.c.notice_no != bindparam("exclude"))
    window = [n.c.notice_date_and_time >= bindparam("since"), n.c.notice_date_and_time < bindparam("t")]

    def count(*conditions):
        return select(func.count()).select_from(n).where(*others, *conditions).scalar_subquery()

    columns = [count(*window).label("past_")]
    if with_ps_reasons:
        columns.append(count(*window, n.c.suspension_type == "PS",
                             n.c.epr_reason_of_suspension.in_(bindparam("ps_reasons", expanding=True)))
                       .label("past_q_"))
    if with_same_day:
        columns.append(count(n.c.an_flag == "Y", n.c.notice_date_and_time >= bindparam("day"),
                             n.c.notice_date_and_time < bindparam("day_end")).label("same_day_"))
    near = (select(n.c.notice_no, n.c.vehicle_no, n.c.computer_rule_code, n.c.notice_date_and_time, n.c.pp_code)
            .where(*others, n.c.notice_date_and_time >= bindparam("near_from"),
                   n.c.notice_date_and_time <= bindparam("near_to")).subquery())
    one = select(literal(1).label("one")).subquery()
    return (select(*columns, *near.c).select_from(one).outerjoin(near, true())
            .order_by(near.c.notice_date_and_time, near.c.notice_no))


def vehicle_history(session: Session, vehicle_no: str, notice_time: datetime, *, within: timedelta,
                    since: datetime, ps_reasons: Iterable[str] | None = None, same_day_start: datetime | None = None,
                    exclude_notice_no: str | None = None) -> VehicleHistory:
    """The double-booking candidates and the AN-qualification counts of a vehicle in ONE statement.

    ``SELECT (count), [(count under PS reasons)], [(same-day ANs)], near.* FROM (SELECT 1) LEFT JOIN
    near ON true``: the counts of :func:`count_past_offences` as scalar subqueries beside the notices
    dated in ``[notice_time - within, notice_time + within]`` (one index range scan each on
    ``vehicle_no, notice_date_and_time``). ``exclude_notice_no`` is left out of everything. Raises what the
    database raises (the caller decides the fallback: OCMS 10 §3.1, BR-AN-DUP-002).
    """
    stmt = _history_statement(ps_reasons is not None, same_day_start is not None, exclude_notice_no is not None)
    params = {"vehicle_no": vehicle_no, "exclude": exclude_notice_no, "since": since, "t": notice_time,
              "near_from": notice_time - within, "near_to": notice_time + within}
    if ps_reasons is not None:
        params["ps_reasons"] = list(ps_reasons)
    if same_day_start is not None:
        params.update(day=same_day_start, day_end=same_day_start + timedelta(days=1))
    rows = session.connection().execute(stmt, params).all()
    first, skip = rows[0]._mapping, 1 + (ps_reasons is not None) + (same_day_start is not None)
    return VehicleHistory(
        near=[tuple(r)[skip:] for r in rows if r._mapping["notice_no"] is not None],
        past_offences=int(first["past_"] or 0),
        past_qualifying_offences=int(first["past_q_"] or 0) if ps_reasons is not None else None,
        same_day_ans=int(first["same_day_"] or 0) if same_day_start is not None else None)


def past_offence_counts(
    session: Session,
    vehicle_nos: Iterable[str],
    from_dt: datetime,
    to_dt: datetime,
    *,
    ps_reasons: Iterable[str] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> dict[str, int]:
    """Count past offences in ``[from_dt, to_dt)`` for many vehicles at once (0 when none).

    One grouped query per chunk: the batch form of :func:`count_past_offences`
    for notices sharing one window.
    """
    wanted = unique(vehicle_nos)
    counts = dict.fromkeys(wanted, 0)
    reasons = None if ps_reasons is None else list(ps_reasons)
    for chunk in chunked(wanted, chunk_size):
        stmt = (
            select(ValidOffenceNotice.vehicle_no, func.count())
            .where(ValidOffenceNotice.vehicle_no.in_(chunk), *_past_offence_filter(from_dt, to_dt, reasons))
            .group_by(ValidOffenceNotice.vehicle_no)
        )
        for vehicle_no, count in session.execute(stmt):
            counts[vehicle_no] = count
    return counts
