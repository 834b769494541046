"""The daily VIP Advisory Notice letters (OCMS 14 tab 3 steps 8-14): ``ocms jobs run vip-an-letters``.

Step 9's query selects the notices (VIP type, an_flag Y, at NPA with ROV due, not suspended); for each,
one PDF letter (template ``letters/vip_an_letter.txt``) to the registered owner - the notice's current
offender, else the owner LTA reports, with MHA's address - dropped into the print vendor's SFTP
directory; then ruleset vip_notice (question an_letter_sent) moves them to RD1 (next RD2, from the
stage map) and applies PS-ANS, with an ``ocms_change_of_processing`` row (source SYSTEM).

Chunks of ``chunk_size`` notices (ruleset stage_progression) each commit their deliveries, stage moves
and suspensions together: a crash loses at most the chunk in flight, whose files the re-run finds on the
server and records without sending them again. A notice whose owner has no address yet is left for the
next run (``noAddress``).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from api.clients.sftp import SftpClient, SftpError
from api.cps.decide import surcharge
from api.cps.queries import SOURCE_SYSTEM, StageChange, apply_stage_change, audit_row, insert_audit
from api.decisions.log import record_decisions
from api.stages.batch import apply_batch_actions, in_batch, set_notices_fields
from api.stages.checks import CheckCounts, Clients, PendingBook, current_offenders, lta_owner, refresh_offender
from api.stages.letters import deliver, has_address, letter_context, render
from api.stages.moves import due_before, next_after, run_time
from engine import RuleRegistry
from repository.models import SYSTEM_USER, ValidOffenceNotice, now

log = logging.getLogger(__name__)

JOB_NAME = "vip-an-letters"
RULESET = "vip_notice"
LETTER_TYPE = "VIPAN"
TEMPLATE = "letters/vip_an_letter.txt"


class JobFailed(RuntimeError):
    """The run stopped (the SFTP server refused); ``counts`` says what it got done first."""

    def __init__(self, message: str, counts: dict):
        super().__init__(message)
        self.counts = counts


def candidates(session, registry: RuleRegistry, day: dt.date) -> list[str]:
    """Tab 3 step 9's query (next_processing_date due by ``day``), oldest notice number first."""
    V = ValidOffenceNotice
    vip_types = list(registry.get(RULESET).lists.get("vip_vehicle_types") or [])
    return list(session.scalars(select(V.notice_no).where(
        V.vehicle_registration_type.in_(vip_types), V.an_flag == "Y", V.last_processing_stage == "NPA",
        V.next_processing_stage == "ROV", V.next_processing_date < due_before(day),
        V.suspension_type.is_(None), V.epr_reason_of_suspension.is_(None)).order_by(V.notice_no)))


def send_vip_an_letters(uow, registry: RuleRegistry, day: dt.date, sftp: SftpClient, clients: Clients,
                        templates_dir=None, chunk_size: int | None = None, request_id: str | None = None) -> dict:
    """Write, deliver and record the day's VIP AN letters; move the notices to RD1 with PS-ANS; counts.

    ``sftp`` is connected on first use. Raises :class:`JobFailed` (with the counts so far) when the
    server refuses; every chunk committed before stays done.
    """
    session = uow.session
    todo = candidates(session, registry, day)
    size = int(chunk_size or registry.get("stage_progression").parameters.get("chunk_size") or 200)
    when = run_time(day)   # business "as of" (the key): stage dates
    stamp = now()          # audit "when it happened": delivered_at, checks, letter_sent_timestamp, upd_date
    sent = registry.evaluate(RULESET, {"question": "an_letter_sent"})
    new_stage = sent.outputs.get("new_processing_stage") or "RD1"
    checks = CheckCounts()
    counts = {"candidates": len(todo), "sent": 0, "foundOnServer": 0, "alreadyRecorded": 0, "moved": 0,
              "noAddress": 0}
    connected = False
    V = ValidOffenceNotice
    for start in range(0, len(todo), size):
        chunk = todo[start:start + size]
        notices = {n.notice_no: n for n in session.scalars(select(V).where(in_batch(session, V.notice_no, chunk)))}
        offenders = current_offenders(session, chunk)
        if clients.lta is not None:   # no owner yet: LTA's registered owner (a VIP AN has not been through ROV)
            for n in chunk:
                if n not in offenders:
                    lta_owner(session, clients.lta, n, notices[n].vehicle_no, stamp, checks, None, None)
            session.flush()
            offenders = current_offenders(session, chunk)
        pending = PendingBook(session, chunk)
        letters, ready = [], []
        for n in chunk:
            notice, offender = notices[n], offenders.get(n)
            if not has_address(offender) and offender is not None and clients.mha is not None:
                refresh_offender(session, clients, offender, "NPA", stamp, checks, pending)
            if not has_address(offender):
                counts["noAddress"] += 1
                log.warning("VIP AN %s: the owner has no address yet; left for the next run", n)
                continue
            letters.append(render(TEMPLATE, LETTER_TYPE, notice, letter_context(notice, offender, day), day,
                                  templates_dir))
            ready.append(n)
        checks.pending_resolved += pending.flush(stamp)
        if ready:
            if not connected:
                sftp.connect()
                connected = True
            try:
                how = deliver(session, sftp, letters, day, JOB_NAME, stamp)
            except SftpError as e:
                session.rollback()
                raise JobFailed(str(e), {**counts, **checks.to_dict()}) from None
            for h in how.values():
                counts[{"sent": "sent", "found": "foundOnServer", "known": "alreadyRecorded"}[h]] += 1
            last = "NPA"
            next_stage, days = next_after(registry, [(last, new_stage)])[(last, new_stage)] or (None, None)
            apply_stage_change(session, ready, StageChange(new_stage, next_stage, days, when,
                                                           surcharge(registry, new_stage)), SYSTEM_USER, stamp)
            apply_batch_actions(session, ready, sent.actions, when)
            set_notices_fields(session, ready, {"letter_sent_timestamp": stamp}, stamp)
            insert_audit(session, [audit_row(n, day, last, new_stage, SOURCE_SYSTEM, None, None,
                                             "VIP AN letter sent (vip-an-letters)", SYSTEM_USER, when) for n in ready])
            record_decisions(session, [sent] * len(ready), ready, request_id, JOB_NAME)
            counts["moved"] += len(ready)
        session.flush()
        uow.commit()
    counts.update(checks.to_dict())
    counts["errors"] = checks.errors[:100]
    return counts


__all__ = ["JOB_NAME", "JobFailed", "candidates", "send_vip_an_letters"]
