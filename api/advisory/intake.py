"""Receive a notice from REPCCS or CES (OCMS 10 §3.2, §3.3): validate, create, double booking, AN.

:func:`receive_notice` is the use case behind both webhooks::

    validate payload ─ CES: subsystem label (ces_subsystem) ─ [notice number drawn] ─ lock vehicle
      ─ repeated transactionId? duplicate notice? VIP list? (one look-up) ─ CES: rule code known?
      ─ special vehicle (vehicle_type) ─ new processing stage (stage_map)
      ─ CES: EHT anFlag Y (ces_eht_flag) → PS-ANS, done
      ─ double booking (double_booking; query failed 3× → TS-OLD) → PS-DBB, done
      ─ AN qualification (an_qualification) → an_flag Y, payment N, pending AN notification (PS-ANS after the send)
      ─ VIP vehicle (vip_notice, OCMS 14): VIP AN (an_flag Y, no suspension yet) or TS-OLD instead
      ─ insert notice + detail + receipt + the actions' rows ─ decision log ─ internet mirror ─ commit
      ─ follow-ups

Every decision's actions go through :func:`api.decisions.apply.apply_actions`; every
decision is logged with the notice number as subject, in the same
transaction. One transaction per notice: a database failure answers
OCMS-5000 and leaves nothing behind.

Concurrency: on PostgreSQL the transaction first takes an advisory lock on
the vehicle number, so notices of one vehicle are decided one after the other
(double booking and the past-offence count see every earlier notice); the
same notice posted twice waits for the first and then finds it. On SQLite
the transaction takes the database's write lock first (a zero-row UPDATE:
the reads come before any write), which does the same. The transaction runs through the
service's one retry rule (:func:`api.database.run_in_transaction`, at most
:data:`ATTEMPTS` tries): a serialization failure, a deadlock or a key clash
with a concurrent intake runs it again whole, and the retry finds the
duplicate, or draws a new notice number. A lock or statement timeout is 503
OCMS-5003; any other database failure 500 OCMS-5000; nothing is written.

Repeats (DESIGN.md §10): a notice created for a ``transactionId`` is recorded
in ``ocms_webhook_receipt`` (key: source, transaction id) in the same
transaction, so the database refuses a second notice for it even when the
repeats arrive together (the loser's retry then finds the receipt). A repeat
of a notice whose number OCMS generated gets the original answer again; a
repeat of a notice whose number the caller sent gets the spec's duplicate
answer (REPCCS 400 "Duplicate notice detected", CES 226 "Notice no Already
exists"). Either way nothing more is written.

Read, decide, write (issue 16, bench/README.md): the vehicle lock; one look-up (receipt, duplicate
number, VIP list: :func:`repository.queries.intake_lookup`); one read of the vehicle's history (DBB
candidates and the past-offence counts: :func:`repository.queries.vehicle_history`); then every decision,
before anything is written, so the notice is written once with its final values. The writes: on
PostgreSQL ONE statement (:func:`_write_at_once`: the notice, its detail, receipt, suspensions, AN
notification row, the decision log and the internet mirror, as data-modifying CTEs) - four statements
and COMMIT for a qualified AN; on SQLite one flush, the decision log, the mirror upsert - nine. The
reference data (parameters, rule codes) comes from the worker's cache (:mod:`repository.reference_cache`).

The usual path has no savepoint. If the history read or the writes (the mirror's) fail, the transaction is
rolled back and the intake runs again the careful way: the DBB query tried three times in savepoints
(all failed: TS-OLD fallback, BR-AN-DUP-002), the past-offence counts in a savepoint (failed: a standard
notice, §3.1), the mirror in a savepoint (failed: queued for ``mirror-retry``) - what every intake did
before. A caller's replacement DBB query or mirror writer (tests inject faults that way) always takes
the careful path.

Follow-ups (§3.4-3.6 owner particulars, eAN, AN letters) hook in through
:data:`FOLLOW_UPS`: callables run after the commit with the
:class:`IntakeResult`; they never change the webhook's answer.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Literal

from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from api.database import run_in_transaction
from api.decisions.apply import apply_actions
from api.decisions.log import decision_log_rows, record_decisions
from api.web.errors import ApiError, bad_request, flatten_messages
from engine import Decision
from repository import reference_cache
from repository.db import classify_error
from repository.queries import (
    copy_notice_to_mirror, decision_log_values, insert_in_one_statement, intake_lookup, lock_vehicle,
    mark_notice_created, row_of, vehicle_history,
)
from repository.models import (
    SYSTEM_USER,
    DecisionLog,
    ESuspendedNotice,
    EValidOffenceNotice,
    OffenceNoticeDetail,
    SuspendedNotice,
    ValidOffenceNotice,
    WebhookReceipt,
    now,
)

from . import double_booking, qualification
from .mirror import MirrorWriter, mirror_or_queue, sync_notice
from .notice_numbers import NoticeNumberAllocator
from .payloads import CesPayloadSchema, RepccsPayloadSchema, missing_fields

log = logging.getLogger(__name__)

Source = Literal["REPCCS", "CES"]
ATTEMPTS = 5
FIRST_STAGE = "NPA"  # OCMS 14 §3: a new notice is created at NPA
VIP_RULESET = "vip_notice"

#: Success bodies, exactly as the spec shows them.
SUCCESS_MESSAGE = {"REPCCS": "OK", "CES": "Resource created successfully"}
#: Validation failures: the spec's messages per webhook.
MISSING_MESSAGE = {"REPCCS": "Missing mandatory fields", "CES": "Missing mandatory fields"}
INVALID_MESSAGE = "Invalid input format or failed validation"
DUPLICATE = {"REPCCS": (400, "Duplicate notice detected"), "CES": (226, "Notice no Already exists")}
INVALID_RULE_CODE = (226, "Invalid Offence Rule Code")

_SCHEMAS = {"REPCCS": RepccsPayloadSchema(), "CES": CesPayloadSchema()}

#: Called after commit with the IntakeResult (§3.4-3.6 hook: owner particulars, eAN, letters).
FOLLOW_UPS: list[Callable[["IntakeResult"], None]] = []


@dataclass
class IntakeDeps:
    """What the use case talks to, replaceable in tests (fault injection)."""

    allocator: NoticeNumberAllocator
    dbb_query: double_booking.CandidateQuery = double_booking.find_candidates
    mirror_writer: MirrorWriter = sync_notice
    dbb_attempts: int = double_booking.ATTEMPTS


@dataclass
class Timings:
    """Seconds spent per phase of one intake (for Server-Timing and the bench)."""

    validation: float = 0.0
    engine: float = 0.0
    database: float = 0.0
    attempts: int = 0

    def header(self) -> str:
        return (f"validation;dur={self.validation * 1000:.3f}, engine;dur={self.engine * 1000:.3f}, "
                f"database;dur={self.database * 1000:.3f}, attempts;desc=\"{self.attempts}\"")


@dataclass
class IntakeResult:
    """What happened to one incoming notice."""

    source: Source
    notice_no: str
    outcome: str  # EHT_AN | DOUBLE_BOOKED | DBB_CHECK_FAILED | QUALIFIED | NOT_QUALIFIED | VIP_AN | VIP_TS_OLD | REPEAT
    suspensions: list[dict] = field(default_factory=list)
    mirrored: bool = True
    decisions: list[Decision] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    #: A repeated transactionId: the original answer (status, body), nothing created.
    original: tuple[int, dict] | None = None

    @property
    def is_an(self) -> bool:
        return self.outcome in ("EHT_AN", "QUALIFIED")  # a VIP AN (VIP_AN) gets its letter by vip-an-letters

    @property
    def repeat(self) -> bool:
        return self.original is not None

    @property
    def status(self) -> int:
        return self.original[0] if self.original else 200

    def response(self) -> dict:
        if self.original:
            return self.original[1]
        return {"data": {"appCode": "OCMS-2000", "message": SUCCESS_MESSAGE[self.source]}}


def validate_payload(source: Source, raw: Any) -> dict:
    """The payload as typed values, or OCMS-4000 naming every offending field."""
    if not isinstance(raw, dict):
        raise bad_request(INVALID_MESSAGE, [{"field": "body", "message": "a JSON object is expected"}])
    try:
        return _SCHEMAS[source].load(raw)
    except ValidationError as e:
        missing = missing_fields(e.messages)
        raise bad_request(MISSING_MESSAGE[source] if missing else INVALID_MESSAGE,
                          flatten_messages(e.messages)) from None


class _Decider:
    """Evaluates rulesets, timing the engine and keeping the decisions to log."""

    def __init__(self, registry, timings: Timings):
        self.registry = registry
        self.timings = timings
        self.decisions: list[Decision] = []

    def __call__(self, ruleset: str, facts: dict, parameters: dict | None = None, log_it: bool = True) -> Decision:
        t0 = time.perf_counter()
        d = self.registry.evaluate(ruleset, facts, parameters=parameters)
        self.timings.engine += time.perf_counter() - t0
        if log_it:
            self.decisions.append(d)
        return d

    def many(self, ruleset: str, facts_list: list[dict]) -> list[Decision]:
        t0 = time.perf_counter()
        ds = self.registry.evaluate_many(ruleset, facts_list)
        self.timings.engine += time.perf_counter() - t0
        self.decisions.extend(ds)
        return ds


def _reject_from(decision: Decision, field_name: str) -> ApiError:
    """OCMS-4000 from a rule's reject action (or its message), naming the payload field."""
    act = next((a for a in decision.actions if a.name == "reject"), None)
    message = (act.params.get("message") if act else None) or decision.message or INVALID_MESSAGE
    return bad_request(message, [{"field": field_name, "message": message}])


class _NumberTaken(Exception):
    """The number drawn for a notice sent without one belongs to a notice a caller sent (draw another)."""


class _TakeCarefulPath(Exception):
    """The one-statement history read or the mirror write failed: run the intake again the careful way.

    ``dbb_tried``: 1 when the history read (which holds the DBB query) failed - it counts as the first of
    the ``dbb_attempts`` tries, so a database that keeps timing out costs no more tries than before.
    """

    def __init__(self, message: str, dbb_tried: int = 0):
        super().__init__(message)
        self.dbb_tried = dbb_tried


def _new_notice(p: dict, notice_no: str, vehicle_type: str, caller_user: str, start) -> ValidOffenceNotice:
    """The notice row; ``start`` is the stage_map decision for a new notice (row STAGE-MAP-NPA)."""
    when = now()
    next_stage = start.outputs.get("next_processing_stage")
    days = start.outputs.get("stage_days")
    return ValidOffenceNotice(
        notice_no=notice_no, vehicle_no=p["vehicleNo"], notice_date_and_time=p["noticeDateAndTime"],
        offence_notice_type=p["offenceNoticeType"], vehicle_registration_type=vehicle_type,
        vehicle_category=p.get("vehicleCategory"), computer_rule_code=p["computerRuleCode"],
        composition_amount=p["compositionAmount"], amount_payable=p["compositionAmount"],
        payment_acceptance_allowed="Y", subsystem_label=p["subsystemLabel"], transaction_id=p.get("transactionId"),
        pp_code=p.get("ppCode"), pp_name=p.get("ppName"),
        last_processing_stage=FIRST_STAGE, last_processing_date=when,
        next_processing_stage=next_stage,
        next_processing_date=when + timedelta(days=days) if (next_stage and days is not None) else None,
        # REPCCS's anFlag is disregarded (FD v1.2 §4.2); CES's is applied by ces_eht_flag below.
        an_flag="N", unqualified_list_sent_flag="N",
        cre_user_id=caller_user, cre_date=when,
    )


class _History:
    """The vehicle's other notices as the intake's decisions need them, read once (fast) or query by query.

    Fast (the usual path): :func:`repository.queries.vehicle_history`, one statement for the DBB
    candidates and the qualification counts, no savepoint; if it fails, :class:`_TakeCarefulPath`
    (the transaction is rolled back and the intake runs again careful). Careful: the DBB query tried
    ``deps.dbb_attempts`` times in savepoints (all failed: TS-OLD fallback, BR-AN-DUP-002), the counts in
    a savepoint (failed: a standard notice, OCMS 10 §3.1) - each failure isolated, as the spec asks.
    """

    def __init__(self, session: Session, notice: ValidOffenceNotice, deps: IntakeDeps, registry, fast: bool,
                 dbb_tried: int = 0):
        self.session, self.notice, self.deps, self.fast = session, notice, deps, fast
        self.dbb_attempts = max(1, deps.dbb_attempts - dbb_tried)
        self.within = double_booking.window(registry.get(double_booking.RULESET).parameters)
        self.ruleset_parameters = registry.get(qualification.RULESET).parameters
        self.plan = qualification.plan(session, notice, self.ruleset_parameters)
        self._read = None

    def _one_read(self):
        if self._read is None:
            n, p = self.notice, self.plan
            try:
                self._read = vehicle_history(self.session, n.vehicle_no, n.notice_date_and_time, within=self.within,
                                             since=p.since, ps_reasons=p.ps_reasons, same_day_start=p.same_day_start,
                                             exclude_notice_no=n.notice_no)
            except SQLAlchemyError as e:
                raise _TakeCarefulPath(f"history of notice {n.notice_no} not read: {type(e).__name__}",
                                       dbb_tried=1) from e
        return self._read

    def candidates(self) -> list[double_booking.Candidate] | None:
        """The DBB candidates; None if the query failed every time (careful path only)."""
        if self.fast:
            return [double_booking.Candidate(*row) for row in self._one_read().near]
        return double_booking.candidates_with_retry(self.session, self.notice, self.deps.dbb_query,
                                                    self.dbb_attempts, self.within)

    def qualification_facts(self) -> dict | None:
        """The an_qualification facts; None if the counts could not be read (careful path only)."""
        if self.fast:
            h = self._one_read()
            return qualification.facts_from(self.notice, h.past_offences, h.past_qualifying_offences, h.same_day_ans)
        try:
            with self.session.begin_nested():
                facts, _ = qualification.qualification_facts(self.session, self.notice, self.ruleset_parameters)
            return facts
        except SQLAlchemyError as e:  # §3.1: past-offence query failed -> process as a standard notice
            log.warning("AN qualification facts of notice %s not read (%s); standard notice", self.notice.notice_no, e)
            return None


def _attempt(source: Source, p: dict, session: Session, decide: _Decider, deps: IntakeDeps,
             request_id: str | None, caller: str | None, fast: bool = True, drawn: str | None = None,
             dbb_tried: int = 0) -> IntakeResult:
    """One try of the whole transaction (no commit): read, decide, then write.

    ``drawn``: the number OCMS generated for a notice sent without one (drawn before the transaction:
    the allocator may write a block of numbers in a transaction of its own); :class:`_NumberTaken` if a
    caller already sent it.

    Reads: the vehicle lock, one look-up (receipt, duplicate number, VIP list), the vehicle's history
    (:class:`_History`). Every decision is taken before anything is written, so the notice is
    inserted once with its final values and its rows go in one flush (notice first).
    """
    timings = decide.timings
    vehicle_no = p["vehicleNo"]
    transaction_id = p.get("transactionId") or None
    generated = drawn is not None
    notice_no = drawn if generated else p["noticeNo"]
    lock_vehicle(session, vehicle_no)
    found = intake_lookup(session, source, transaction_id, notice_no, vehicle_no)  # one round trip
    if found.receipt is not None:
        return _repeat(source, p, found.receipt, timings)
    if found.notice_taken and not generated:
        status, message = DUPLICATE[source]
        raise ApiError(status, message, [{"field": "noticeNo", "message": message}])
    if found.notice_taken:  # a caller already sent the number OCMS drew: roll back, draw another
        raise _NumberTaken(notice_no)
    if source == "CES" and not reference_cache.rule_code_exists(session, p["computerRuleCode"]):
        status, message = INVALID_RULE_CODE
        raise ApiError(status, message, [{"field": "computerRuleCode", "message": message}])

    vt = decide("vehicle_type", {"vehicle_no": vehicle_no, "vehicle_registration_type": p.get("vehicleRegistrationType"),
                                 "in_vip_list": found.in_vip_list})
    if any(a.name == "reject" for a in vt.actions):
        raise _reject_from(vt, "vehicleRegistrationType")
    vehicle_type = vt.outputs.get("vehicle_registration_type") or p.get("vehicleRegistrationType")

    user = (p.get("creUserId") or SYSTEM_USER)[:50]
    start = decide("stage_map", {"new_processing_stage": FIRST_STAGE})
    notice = _new_notice(p, notice_no, vehicle_type, user, start)
    result = IntakeResult(source, notice_no, "NOT_QUALIFIED", timings=timings)
    to_apply: list[Decision] = []

    done = False
    if source == "CES":
        eht = decide("ces_eht_flag", {"subsystem_label": p["subsystemLabel"], "an_flag": p.get("anFlag")})
        if eht.outcome == "EHT_AN":
            to_apply.append(eht)
            result.outcome, done = "EHT_AN", True
    history = _History(session, notice, deps, decide.registry, fast, dbb_tried) if not done else None
    if not done:
        candidates = history.candidates()
        dbb = decide.many(double_booking.RULESET, double_booking.dbb_facts(notice, candidates))
        hit = next((d for d in dbb if d.actions), None)
        if hit is not None:
            to_apply.append(hit)
            result.outcome, done = ("DBB_CHECK_FAILED" if candidates is None else "DOUBLE_BOOKED"), True
    if not done:
        facts = history.qualification_facts()
        q = decide(qualification.RULESET, facts, parameters=history.plan.params) if facts is not None else None
        # OCMS 14 tab 2 steps 6-7: a VIP vehicle's notice takes the VIP AN sub-flow or TS-OLD (vip_notice).
        route = decide(VIP_RULESET, {"question": "creation", "offence_notice_type": notice.offence_notice_type,
                                     "vehicle_registration_type": notice.vehicle_registration_type,
                                     "an_qualified": q is not None and q.outcome == "QUALIFIED"})
        if route.outcome != "STANDARD":
            to_apply.append(route)
            result.outcome = route.outcome
        elif q is not None:
            to_apply.append(q)
            result.outcome = q.outcome or "NOT_QUALIFIED"

    # Writes. The notice is pending (not flushed) while the actions apply to it: it is inserted once,
    # with its final values; its detail, receipt, suspensions and AN notification row follow it in one
    # flush (the flush-order relationships of repository.base.inserted_after_notice).
    session.add(notice)
    mark_notice_created(session, notice_no)  # its mirror is written whole below
    session.add(OffenceNoticeDetail(notice_no=notice_no, cre_user_id=user, cre_date=notice.cre_date))
    if transaction_id:
        # The key refuses a concurrent repeat here (it waits for this commit, then fails and retries).
        session.add(WebhookReceipt(source=source, transaction_id=transaction_id, notice_no=notice_no,
                                   notice_no_generated="Y" if generated else "N", response_status=result.status,
                                   response_body=result.response(), cre_user_id=user, cre_date=notice.cre_date))
    for decision in to_apply:
        if decision.actions:
            applied = apply_actions(_Uow(session), notice_no, decision.actions)
            result.suspensions += [a for a in applied.applied if a["action"] == "suspend"]
    result.decisions = list(decide.decisions)
    if fast and session.get_bind().dialect.name == "postgresql":
        _write_at_once(session, notice_no, decide.decisions, request_id, caller)
        return result
    session.flush()
    record_decisions(session, decide.decisions, notice_no, request_id, caller)
    if fast:
        try:
            with_suspensions = bool(result.suspensions)  # a new notice has no other suspension to copy
            copy_notice_to_mirror(session, notice_no, suspensions=with_suspensions)
        except SQLAlchemyError as e:
            raise _TakeCarefulPath(f"mirror of notice {notice_no} not written: {type(e).__name__}") from e
    else:
        result.mirrored = mirror_or_queue(session, notice_no, deps.mirror_writer, source=source)
    return result


_MIRRORS = ((ValidOffenceNotice.__table__, EValidOffenceNotice.__table__),
            (SuspendedNotice.__table__, ESuspendedNotice.__table__))


def _write_at_once(session: Session, notice_no: str, decisions: list[Decision], request_id: str | None,
                   caller: str | None) -> None:
    """PostgreSQL's usual path: the new rows, the decision log and the mirror in ONE statement.

    The session's new objects (the notice first: rows refer to it) become rows with their defaults
    (:func:`repository.queries.row_of`), the internet mirror gets the same values as upserts, and
    :func:`repository.queries.insert_in_one_statement` writes them all; the objects then leave the
    session. A key clash propagates (the transaction is retried); any other failure takes the careful path.
    """
    pending = sorted(session.new, key=lambda o: not isinstance(o, ValidOffenceNotice))
    rows = [row_of(o) for o in pending]
    rows += [(DecisionLog.__table__, r) for r in decision_log_values(
        decision_log_rows(decisions, notice_no, request_id, caller))]
    mirrors = [(mirror, {c.key: row[c.key] for c in mirror.columns})
               for table, row in rows for source, mirror in _MIRRORS if table is source]
    try:
        insert_in_one_statement(session, rows, mirrors)
    except IntegrityError:
        raise
    except SQLAlchemyError as e:
        raise _TakeCarefulPath(f"notice {notice_no} not written in one statement: {type(e).__name__}") from e
    for obj in pending:
        session.expunge(obj)


def _repeat(source: Source, p: dict, receipt: WebhookReceipt, timings: Timings) -> IntakeResult:
    """The answer to a transactionId seen before: the original one (OCMS's number) or the duplicate one (caller's)."""
    if receipt.notice_no_generated == "Y":
        log.info("%s transaction %s repeated: notice %s already created, original answer", source,
                 receipt.transaction_id, receipt.notice_no)
        return IntakeResult(source, receipt.notice_no, "REPEAT", timings=timings,
                            original=(receipt.response_status, receipt.response_body))
    status, message = DUPLICATE[source]
    field_name = "noticeNo" if p.get("noticeNo") else "transactionId"
    raise ApiError(status, message, [{"field": field_name, "message": message}])


class _Uow:
    """apply_actions takes a unit of work; it only needs its session."""

    def __init__(self, session: Session):
        self.session = session


def receive_notice(source: Source, raw: Any, *, database, registry, deps: IntakeDeps,
                   request_id: str | None = None, caller: str | None = None) -> IntakeResult:
    """Create the notice a REPCCS/CES webhook sent, decide DBB/AN, and commit; raise ApiError to refuse it."""
    timings = Timings()
    t0 = time.perf_counter()
    p = validate_payload(source, raw)
    timings.validation += time.perf_counter() - t0

    if source == "CES":
        decide = _Decider(registry, timings)
        sub = decide("ces_subsystem", {"subsystem_label": p["subsystemLabel"]}, log_it=False)
        if sub.outcome != "VALID":
            raise bad_request(sub.message or INVALID_MESSAGE,
                              [{"field": "subsystemLabel", "message": sub.message or INVALID_MESSAGE}])
        first_decisions = [sub]
    else:
        first_decisions = []

    def one_try(uow, attempt: int, fast: bool, dbb_tried: int = 0) -> IntakeResult:
        while True:
            timings.attempts += 1
            decide = _Decider(registry, timings)
            decide.decisions.extend(first_decisions)
            # Drawn outside the transaction (a new block is written in one of its own; SQLite has one writer).
            drawn = None if p.get("noticeNo") else deps.allocator.next()
            try:
                return _attempt(source, p, uow.session, decide, deps, request_id, caller, fast, drawn, dbb_tried)
            except _NumberTaken as e:
                log.info("generated notice number %s was sent by a caller: another is drawn", e)
                uow.session.rollback()

    # The fast path needs the standard history query and mirror writer (tests replace them to inject faults).
    fast = deps.dbb_query is double_booking.find_candidates and deps.mirror_writer is sync_notice
    engine_before, t0 = timings.engine, time.perf_counter()
    try:
        try:
            result = run_in_transaction(database, lambda uow, n: one_try(uow, n, fast), attempts=ATTEMPTS,
                                        what="notice intake", retry_if=lambda e: isinstance(e, IntegrityError))
        except _TakeCarefulPath as e:  # rolled back: again, each fallible step on its own (savepoints)
            log.warning("notice intake takes the careful path (request %s): %s", request_id, e)
            tried = e.dbb_tried
            result = run_in_transaction(database, lambda uow, n: one_try(uow, n, False, tried), attempts=ATTEMPTS,
                                        what="notice intake", retry_if=lambda e: isinstance(e, IntegrityError))
    except SQLAlchemyError as e:
        if classify_error(e) is not None:
            raise  # busy / timed out / unreachable: 503 OCMS-5003 (api.web.errors)
        log.error("notice intake failed, nothing written (request %s)", request_id, exc_info=e)
        raise ApiError(500, "Notice could not be saved; nothing was written, please retry") from None
    finally:  # every try and the commit, less the engine's share
        timings.database += time.perf_counter() - t0 - (timings.engine - engine_before)
    for follow_up in (FOLLOW_UPS if not result.repeat else ()):
        try:
            follow_up(result)
        except Exception:  # a follow-up never changes the caller's answer
            log.exception("follow-up %r of notice %s failed", follow_up, result.notice_no)
    return result


__all__ = ["ATTEMPTS", "FOLLOW_UPS", "IntakeDeps", "IntakeResult", "Timings", "receive_notice", "validate_payload"]
