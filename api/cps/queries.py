"""Set-based reads and writes of Change Processing Stage (OCMS 15 §9).

Every function takes a Session, never commits, and touches a whole batch in a
fixed number of statements (chunked IN lists): no per-notice queries.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Iterator, Sequence

from sqlalchemy import and_, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from repository.models import ChangeOfProcessing, EValidOffenceNotice, OffenceNoticeOwnerDriver, ValidOffenceNotice
from repository.queries import lock_notices as shared_lock_notices

#: IN-list size; well under SQLite's and psycopg's parameter limits.
CHUNK = 900

#: owner_driver_indicator → the role of OCMS 15 §4.4.
ROLES = {"O": "OWNER", "D": "DRIVER", "H": "HIRER", "DIR": "DIRECTOR"}

#: ocms_change_of_processing.source per channel (§9.2: OCMS/PLUS/SYSTEM).
SOURCE_OCMS, SOURCE_PLUS, SOURCE_SYSTEM = "OCMS", "PLUS", "SYSTEM"

#: Stage columns copied to the internet mirror after a change.
MIRRORED = ("prev_processing_stage", "prev_processing_date", "last_processing_stage", "last_processing_date",
            "next_processing_stage", "next_processing_date", "amount_payable", "upd_date", "upd_user_id")


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


@dataclass
class NoticeFacts:
    """What the database says about one notice, for the CPS rulesets."""

    notice_no: str
    found: bool = False
    last_processing_stage: str | None = None
    last_processing_date: dt.datetime | None = None
    suspension_type: str | None = None
    composition_amount: Decimal | None = None
    amount_payable: Decimal | None = None
    vehicle_no: str | None = None
    offender_name: str | None = None
    roles: list[str] = field(default_factory=list)
    changes_today: dict[str, int] = field(default_factory=dict)  # source -> count

    @property
    def role(self) -> str | None:
        """The current offender's role if exactly one current offender has a known indicator."""
        return ROLES.get(self.roles[0]) if len(self.roles) == 1 else None

    @property
    def changes_today_total(self) -> int:
        return sum(self.changes_today.values())


def lock_notices(session: Session, notice_nos: Iterable[str]) -> None:
    """Serialise writers of these notices until the transaction ends (call it first).

    PostgreSQL: ``SELECT ... FOR UPDATE`` in notice order (no deadlock between
    overlapping batches). SQLite locks the whole database: a zero-row UPDATE
    takes the write lock at once (BEGIN IMMEDIATE semantics), so the facts
    read afterwards are the latest committed ones.
    """
    shared_lock_notices(session, notice_nos, chunk_size=CHUNK)


def gather(session: Session, notice_nos: Sequence[str], today: dt.date, with_offenders: bool = True
           ) -> dict[str, NoticeFacts]:
    """Facts of every notice in three set-based reads (VON, current offenders, today's changes)."""
    out = {n: NoticeFacts(n) for n in notice_nos}
    keys = list(out)
    V = ValidOffenceNotice
    for part in chunks(keys):
        for row in session.execute(select(V.notice_no, V.last_processing_stage, V.last_processing_date,
                                          V.suspension_type, V.composition_amount, V.amount_payable,
                                          V.vehicle_no, V.offender_name)
                                   .where(V.notice_no.in_(part))):
            f = out[row.notice_no]
            f.found = True
            (f.last_processing_stage, f.last_processing_date, f.suspension_type, f.composition_amount,
             f.amount_payable, f.vehicle_no, f.offender_name) = row[1:]
    O = OffenceNoticeOwnerDriver
    if with_offenders:
        for part in chunks(keys):
            for n, ind in session.execute(select(O.notice_no, O.owner_driver_indicator)
                                          .where(O.notice_no.in_(part), O.is_current == "Y")
                                          .order_by(O.notice_no, O.owner_driver_indicator)):
                out[n].roles.append(ind)
    C = ChangeOfProcessing
    for part in chunks(keys):
        for n, source, count in session.execute(select(C.notice_no, C.source, func.count())
                                                .where(C.notice_no.in_(part), C.date_of_change == today)
                                                .group_by(C.notice_no, C.source)):
            out[n].changes_today[source] = count
    return out


@dataclass(frozen=True)
class StageChange:
    """One set of stage values applied to many notices (§9.2)."""

    new_stage: str
    next_stage: str | None
    stage_days: int | None
    stage_date: dt.datetime
    surcharge: Decimal | None  # None: amount_payable untouched (Toppan MANUAL)

    @property
    def next_date(self) -> dt.datetime | None:
        return self.stage_date + dt.timedelta(days=self.stage_days) if self.stage_days is not None else None


def apply_stage_change(session: Session, notice_nos: Sequence[str], change: StageChange, user: str,
                       when: dt.datetime) -> int:
    """Update the notices' stage fields (§9.2) and keep the internet mirror in step; return rows updated.

    prev_* take the old last_* (SQL evaluates the SET list on the old row);
    amount_payable = composition_amount + surcharge unless the surcharge is None.
    """
    if not notice_nos:
        return 0
    V, E = ValidOffenceNotice, EValidOffenceNotice
    values = {
        V.prev_processing_stage: V.last_processing_stage, V.prev_processing_date: V.last_processing_date,
        V.last_processing_stage: change.new_stage, V.last_processing_date: change.stage_date,
        V.next_processing_stage: change.next_stage, V.next_processing_date: change.next_date,
        V.upd_date: when, V.upd_user_id: user,
    }
    if change.surcharge is not None:
        values[V.amount_payable] = V.composition_amount + change.surcharge
    count = 0
    columns = [c.key for c in inspect(E).columns]
    for part in chunks(list(notice_nos)):
        count += session.execute(update(V).where(V.notice_no.in_(part)).values(values)
                                 .execution_options(synchronize_session=False)).rowcount
        # A notice without an internet copy gets one (as apply.set_notice_fields does), then every copy
        # takes the intranet values.
        session.execute(insert(E).from_select(
            columns, select(*[getattr(V, c) for c in columns]).where(
                V.notice_no.in_(part), ~select(E.notice_no).where(E.notice_no == V.notice_no).exists())))
        session.execute(update(E).where(E.notice_no.in_(part)).values(
            {getattr(E, c): select(getattr(V, c)).where(V.notice_no == E.notice_no).scalar_subquery()
             for c in MIRRORED}).execution_options(synchronize_session=False))
    return count


def insert_audit(session: Session, rows: list[dict]) -> None:
    """Insert ocms_change_of_processing rows (one batched statement)."""
    if rows:
        session.execute(insert(ChangeOfProcessing), rows)


def audit_row(notice_no: str, today: dt.date, last_stage: str | None, new_stage: str, source: str,
              officer: str | None, reason: str | None, remarks: str | None, user: str, when: dt.datetime) -> dict:
    """The ocms_change_of_processing row of one change (§9.2)."""
    return {"notice_no": notice_no, "date_of_change": today, "last_processing_stage": last_stage,
            "new_processing_stage": new_stage, "reason_of_change": reason, "authorised_officer": officer,
            "source": source, "remarks": remarks, "cre_date": when, "cre_user_id": user}


#: §8.4 report columns: (header, column label).
REPORT_COLUMNS = (
    ("Notice Number", "notice_no"), ("Previous Stage", "last_processing_stage"),
    ("New Stage", "new_processing_stage"), ("Date of Change", "date_of_change"),
    ("Reason of Change", "reason_of_change"), ("Authorised Officer", "authorised_officer"),
    ("Source", "source"), ("Remarks", "remarks"), ("Offender Name", "offender_name"),
    ("Vehicle Number", "vehicle_no"),
)


def report_rows(session: Session, *, ids: Sequence[int] | None = None, start: dt.date | None = None,
                end: dt.date | None = None) -> list[tuple]:
    """Changes joined with their notice (§8.2 steps 5-6), by audit ids or by date_of_change range."""
    C, V = ChangeOfProcessing, ValidOffenceNotice
    q = (select(C.notice_no, C.last_processing_stage, C.new_processing_stage, C.date_of_change, C.reason_of_change,
                C.authorised_officer, C.source, C.remarks, V.offender_name, V.vehicle_no)
         .join(V, V.notice_no == C.notice_no, isouter=True).order_by(C.date_of_change, C.notice_no, C.id))
    if ids is not None:
        out: list[tuple] = []
        for part in chunks(list(ids)):
            out.extend(tuple(r) for r in session.execute(q.where(C.id.in_(part))))
        return out
    return [tuple(r) for r in session.execute(q.where(and_(C.date_of_change >= start, C.date_of_change <= end)))]
