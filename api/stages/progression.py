"""Stage progression (OCMS 14 tab 2 steps 8-19, tab 4 steps 11-19): ``ocms jobs run stage-progression``.

Every notice whose ``next_processing_date`` has come (by the run's business date) moves to its next
processing stage - one engine for every notice, VIP or not:

1. open pending checks of earlier runs are retried (MHA/DataHive unavailable then, tab 9);
2. the due notices are grouped by (last stage, next stage, vehicle type); per group ruleset
   ``stage_progression`` says MOVE (with the checks and letter the stage needs) or LEAVE (another job
   or system moves it), and ``stage_map`` the stage after that and the stage days;
3. groups needing nothing external move set-based in one transaction; the others go in chunks of
   ``chunk_size`` notices, each one transaction: LTA at ROV (the VIP type re-verified by vip_notice,
   question rov_recheck), MHA and DataHive of the current offender, the reminder letter delivered to
   the print vendor, then the move. A crash loses at most the chunk in flight.

Never moved: suspended notices (any suspension_type), notices without a next stage, and notices still
waiting for their AN notification (an_flag Y and neither eAN nor letter sent). A move is
``apply_stage_change`` (prev_/last_/next_ stage and dates, amount payable by stage, internet copy) plus an
``ocms_change_of_processing`` row (source SYSTEM) and a decision-log row per notice. A notice whose
letter cannot be addressed (no offender or no address) stays where it is (``held``) and is tried again
the next run.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from api.clients.sftp import SftpClient, SftpError
from api.cps.decide import decide, surcharge
from api.cps.queries import SOURCE_SYSTEM, StageChange, apply_stage_change, audit_row, insert_audit
from api.decisions.log import record_decisions
from engine import RuleRegistry
from repository.models import SYSTEM_USER, ManualReviewQueue, ValidOffenceNotice, now

from .batch import in_batch, isolating, set_notices_fields
from .checks import (
    CheckCounts, Clients, PendingBook, current_offenders, lta_owner, owner_rows, refresh_offender, retry_lta_pending,
    retry_pending,
)
from .letters import deliver, has_address, letter_context, render
from .moves import ALLOWED, due_before, next_after, run_time

log = logging.getLogger(__name__)

JOB_NAME = "stage-progression"
RULESET = "stage_progression"
VIP_RULESET = "vip_notice"
MOVE = "MOVE"
V = ValidOffenceNotice


class JobFailed(RuntimeError):
    """The run stopped (the print vendor's server refused); ``counts`` says what it did first."""

    def __init__(self, message: str, counts: dict):
        super().__init__(message)
        self.counts = counts


def awaiting_an_notification():
    """An AN not yet notified (no eAN, no letter): it waits at NPA for the AN notification jobs."""
    return and_(V.an_flag == "Y", func.coalesce(V.ean_sent_flag, "N") != "Y", func.coalesce(V.letter_sent_flag, "N") != "Y")


def due_filter(day: dt.date) -> list:
    return [V.next_processing_date < due_before(day), V.next_processing_stage.is_not(None),
            V.suspension_type.is_(None), ~awaiting_an_notification()]


@dataclass(frozen=True)
class Plan:
    """What one group of due notices gets."""

    last: str | None
    new: str
    vehicle_type: str | None
    decision: object
    change: StageChange

    @property
    def lta_check(self) -> bool:
        return bool(self.decision.outputs.get("lta_check"))

    @property
    def offender_checks(self) -> bool:
        return bool(self.decision.outputs.get("offender_checks"))

    @property
    def letter(self) -> str | None:
        return self.decision.outputs.get("letter")

    @property
    def external(self) -> bool:
        return self.lta_check or self.offender_checks or bool(self.letter)


def _groups(session, day: dt.date) -> dict[tuple, int]:
    rows = session.execute(select(V.last_processing_stage, V.next_processing_stage, V.vehicle_registration_type,
                                  func.count()).where(*due_filter(day))
                           .group_by(V.last_processing_stage, V.next_processing_stage, V.vehicle_registration_type))
    return {(last, new, vtype): n for last, new, vtype, n in rows}


def _members(session, day: dt.date, key: tuple) -> list[str]:
    last, new, vtype = key
    same = [V.last_processing_stage.is_(None) if last is None else V.last_processing_stage == last,
            V.next_processing_stage == new,
            V.vehicle_registration_type.is_(None) if vtype is None else V.vehicle_registration_type == vtype]
    return list(session.scalars(select(V.notice_no).where(*due_filter(day), *same).order_by(V.notice_no)))


def plan(session, registry: RuleRegistry, day: dt.date, when: dt.datetime) -> tuple[list[Plan], dict]:
    """The groups of due notices and what each gets; counts of the groups left alone."""
    groups = _groups(session, day)
    keys = sorted(groups, key=lambda k: (k[0] or "", k[1], k[2] or ""))
    decisions = decide(registry, RULESET, [{"next_processing_stage": new, "last_processing_stage": last,
                                             "vehicle_registration_type": vtype} for last, new, vtype in keys])
    following = next_after(registry, [(last, new) for last, new, _ in keys])
    plans, left = [], {"left": 0, "noStageRule": 0}
    for key, d in zip(keys, decisions):
        last, new, vtype = key
        if d.outcome != MOVE:
            left["left"] += groups[key]
            continue
        if following[(last, new)] is None:
            log.error("stage progression: %d notice(s) due to move %s -> %s, which the stage map does not allow",
                      groups[key], last, new)
            left["noStageRule"] += groups[key]
            continue
        next_stage, days = following[(last, new)]
        plans.append(Plan(last, new, vtype, d, StageChange(new, next_stage, days, when, surcharge(registry, new))))
    return plans, left


def _move(session, batch, p: Plan, day: dt.date, when: dt.datetime, request_id: str | None,
          stamp: dt.datetime | None = None) -> None:
    # p.change.stage_date and the audit row's date are the business "as of" (the key); upd_date is the real clock.
    apply_stage_change(session, batch, p.change, SYSTEM_USER, stamp or now())
    insert_audit(session, [audit_row(n, day, p.last, p.new, SOURCE_SYSTEM, None, None, f"{JOB_NAME}: {p.decision.message}"[:200]
                                     if p.decision.message else JOB_NAME, SYSTEM_USER, when) for n in batch])
    record_decisions(session, [p.decision] * len(batch), list(batch), request_id, JOB_NAME)


class _Run:
    def __init__(self, uow, registry, day, clients, sftp, templates_dir, chunk_size, request_id):
        self.uow, self.session, self.registry, self.day = uow, uow.session, registry, day
        self.clients, self.sftp, self.templates_dir = clients, sftp, templates_dir
        self.chunk_size, self.request_id = chunk_size, request_id
        self.when = run_time(day)      # business "as of": stage dates, next processing dates (the run key)
        self.stamp = now()             # audit "when it happened": delivered_at, MHA/LTA checks, upd_date
        self.checks = CheckCounts()
        self.counts = {"due": 0, "moved": 0, "held": 0, "failed": 0, "lettersSent": 0, "lettersFound": 0,
                       "leftVipFlow": 0, "byStage": defaultdict(int)}
        self.errors: list[str] = []
        self._connected = False

    def snapshot(self) -> dict:
        out = {**self.counts, "byStage": dict(self.counts["byStage"]), **self.checks.to_dict(),
               "callsNotMade": self.clients.skipped()}
        out["errors"] = (self.errors + self.checks.errors)[:100]
        return out

    def set_based(self, p: Plan, members: list[str]) -> None:
        done, failed = isolating(self.session, members, lambda b: _move(self.session, b, p, self.day, self.when,
                                                                        self.request_id, self.stamp), JOB_NAME)
        self.counts["moved"] += len(done)
        self.counts["byStage"][p.new] += len(done)
        self.counts["failed"] += len(failed)
        self.errors += [f"{n}: {e}" for n, e in failed]

    def chunked(self, p: Plan, members: list[str]) -> None:
        s = self.session
        for start in range(0, len(members), self.chunk_size):
            chunk = members[start:start + self.chunk_size]
            notices = {n.notice_no: n for n in s.scalars(select(V).where(in_batch(s, V.notice_no, chunk)))}
            offenders = current_offenders(s, chunk)
            if p.lta_check:
                self._lta(p, chunk, notices, offenders)
                s.flush()
                offenders = current_offenders(s, chunk)
            pending = None
            if p.offender_checks:
                pending = PendingBook(s, chunk)
                for n in chunk:
                    if n in offenders:
                        refresh_offender(s, self.clients, offenders[n], p.new, self.stamp, self.checks, pending)
                self.checks.pending_resolved += pending.flush(self.stamp)
            ready = chunk
            if p.letter:
                ready = self._letters(p, chunk, notices, offenders, pending)
            if ready:
                self.set_based(p, ready)
            s.flush()
            self.uow.commit()

    def _lta(self, p: Plan, chunk, notices, offenders) -> None:
        if self.clients.lta is None:
            return
        lta_types: dict[str, str | None] = {}
        owners = owner_rows(self.session, chunk)
        pending = PendingBook(self.session, chunk)
        for n in chunk:
            owner = lta_owner(self.session, self.clients.lta, n, notices[n].vehicle_no, self.stamp, self.checks,
                              offenders.get(n), owners.get(n), pending, p.new)
            lta_types[n] = owner.vehicle_registration_type if owner else None
        self.checks.pending_resolved += pending.flush(self.when)
        self.recheck_vip({n: notices[n].vehicle_registration_type for n in chunk}, lta_types)

    def retry_lta(self, max_attempts: int) -> None:
        """LTA checks that failed in earlier runs: asked again; the VIP type re-checked on an answer (tab 2 step 10)."""
        answered = retry_lta_pending(self.session, self.clients.lta, self.when, self.checks, max_attempts)
        if answered:
            types = dict(self.session.execute(select(V.notice_no, V.vehicle_registration_type).where(
                in_batch(self.session, V.notice_no, [n for n, _ in answered]))).all())
            self.recheck_vip(types, {n: o.vehicle_registration_type for n, o in answered})

    def recheck_vip(self, types: dict[str, str | None], lta_types: dict[str, str | None]) -> None:
        """vip_notice's rov_recheck for each notice (its type, LTA's type): a vehicle no longer VIP leaves the flow."""
        chunk = list(types)
        if not chunk:
            return
        facts = [{"question": "rov_recheck", "vehicle_registration_type": types[n],
                  "lta_vehicle_registration_type": lta_types.get(n)} for n in chunk]
        decisions = decide(self.registry, VIP_RULESET, facts)
        changed: dict[str, list[str]] = defaultdict(list)
        logged = []
        for n, d in zip(chunk, decisions):
            if d.outputs.get("take_lta_type") and lta_types.get(n):
                changed[lta_types[n]].append(n)
                logged.append((n, d))
        for vtype, members in changed.items():
            set_notices_fields(self.session, members, {"vehicle_registration_type": vtype}, self.stamp)
            self.counts["leftVipFlow"] += len(members)
            log.info("%d notice(s) left the VIP flow: LTA reports type %s", len(members), vtype)
        if logged:
            record_decisions(self.session, [d for _, d in logged], [n for n, _ in logged], self.request_id, JOB_NAME)

    def _letters(self, p: Plan, chunk, notices, offenders, pending: PendingBook | None = None) -> list[str]:
        letters, ready, unaddressed = [], [], []
        letter_type = p.new
        for n in chunk:
            offender = offenders.get(n)
            if offender is not None and not has_address(offender) and pending is not None \
                    and (n, "MHA") in pending.open:
                # Tab 9: MHA unavailable -> proceed without the update (the pending check retries it); the letter
                # that cannot be addressed yet goes to an officer instead of holding the notice.
                unaddressed.append(n)
                continue
            if not has_address(offender):
                self.counts["held"] += 1
                self.errors.append(f"{n}: no offender address for the {letter_type} letter; held for the next run")
                log.warning("notice %s held at %s: no offender address for its %s letter", n, p.last, letter_type)
                continue
            pay_by = p.change.next_date or self.when
            letters.append(render(p.letter, letter_type, notices[n],
                                  letter_context(notices[n], offender, self.day, pay_by=pay_by), self.day,
                                  self.templates_dir))
            ready.append(n)
        if unaddressed:
            self.counts["lettersNotAddressed"] = self.counts.get("lettersNotAddressed", 0) + len(unaddressed)
            for n in unaddressed:
                self.session.add(ManualReviewQueue(
                    notice_no=n, review_type="LETTER_NO_ADDRESS",
                    reason=f"{letter_type} letter not sent: no address and MHA unavailable; the notice proceeded "
                           "without the update (OCMS 14 tab 9), the MHA check is retried next run",
                    details={"stage": letter_type}, cre_user_id=SYSTEM_USER, cre_date=self.when))
            log.warning("%d notice(s) moved to %s without their letter: no address, MHA unavailable (manual review)",
                        len(unaddressed), letter_type)
        if not letters:
            return unaddressed
        if not self._connected:
            self.sftp.connect()
            self._connected = True
        try:
            how = deliver(self.session, self.sftp, letters, self.day, JOB_NAME, self.stamp)
        except SftpError as e:
            self.session.rollback()
            raise JobFailed(str(e), self.snapshot()) from None
        self.counts["lettersSent"] += sum(h == "sent" for h in how.values())
        self.counts["lettersFound"] += sum(h == "found" for h in how.values())
        return ready + unaddressed


def progress_stages(uow, registry: RuleRegistry, day: dt.date, clients: Clients | None = None,
                    sftp: SftpClient | None = None, templates_dir=None, chunk_size: int | None = None,
                    request_id: str | None = None) -> dict:
    """Move every notice due by ``day`` to its next stage (module doc); counts per outcome and per stage.

    Raises :class:`JobFailed` (with the counts so far) when letters cannot be delivered; every chunk
    committed before stays done and the re-run does the rest.
    """
    params = registry.get(RULESET).parameters
    run = _Run(uow, registry, day, clients or Clients(), sftp, templates_dir,
               int(chunk_size or params.get("chunk_size") or 200), request_id)
    try:
        if run.clients.mha is not None and run.clients.datahive is not None:
            retry_pending(run.session, run.clients, run.stamp, run.checks)
            uow.commit()
        if run.clients.lta is not None:
            run.retry_lta(int(params.get("lta_max_attempts") or 3))
            uow.commit()
        plans, left = plan(run.session, registry, day, run.when)
        run.counts.update(left)
        for p in sorted(plans, key=lambda p: p.external):   # set-based groups first: letters may stop the run
            members = _members(run.session, day, (p.last, p.new, p.vehicle_type))
            run.counts["due"] += len(members)
            if p.external:
                if p.letter and sftp is None:
                    raise JobFailed(f"{len(members)} notice(s) due for {p.new} need letters, but no SFTP server is set",
                                    run.snapshot())
                run.chunked(p, members)
            else:
                run.set_based(p, members)
                uow.commit()   # each set-based group is done for good before letters may stop the run
        run.counts["due"] += left["left"] + left["noStageRule"]
    except JobFailed:
        raise
    except Exception as e:   # whatever stopped the run: the run record keeps what was done before it
        raise JobFailed(f"{type(e).__name__}: {e}", run.snapshot()) from e
    return run.snapshot()


__all__ = ["JOB_NAME", "JobFailed", "awaiting_an_notification", "due_filter", "plan", "progress_stages"]
