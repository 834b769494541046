"""External checks before a stage (OCMS 14 tab 2 steps 9-11, 14, 17; error paths tab 9).

* :func:`lta_owner` — LTA's vehicle ownership check at ROV: the registered owner becomes (or refreshes)
  the notice's owner row ``O`` (current, unless another offender - a furnished driver or hirer - is);
  LTA's vehicle type is returned for the VIP re-check. LTA failing after its retries (timeout, 5xx,
  malformed) or not knowing the vehicle: logged, the notice goes on with the existing data (tab 9), and
  an ``ocms_pending_check`` row (system LTA) makes the next runs ask again (:func:`retry_lta_pending`);
  after ``lta_max_attempts`` failed asks (ruleset stage_progression) the check is closed and the notice
  queued in ``ocms_manual_review_queue`` (review type ``LTA_FAILED``) for an officer.
* :func:`refresh_offender` — MHA (name, address, deceased) and DataHive (mobile, email) of the current
  offender before RD1/RD2/RR3 (DN1/DN2/DR3). A system that is unavailable: the notice goes on without
  the update, and an ``ocms_pending_check`` row makes the next run retry it (:func:`retry_pending`).

Clients come with the retry policy the ruleset stage_progression gives (``lta_retries`` …) and one
:class:`api.clients.json_api.Breaker` each per run (``give_up_after_failures``): a system that is down
is given up on for the rest of the run, and the notices proceed without its update (pending checks).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.clients.datahive import DataHiveClient
from api.clients.http import ExternalCallError, RetryPolicy
from api.clients.json_api import CircuitOpen, RecordNotFound
from api.clients.lta import LtaClient, VehicleOwner
from api.clients.mha import MhaClient
from repository.models import SYSTEM_USER, ManualReviewQueue, OffenceNoticeOwnerDriver, PendingCheck

from .batch import in_batch

log = logging.getLogger(__name__)

OWNER = "O"
LTA, MHA, DATAHIVE = "LTA", "MHA", "DATAHIVE"
OFFENDER_SYSTEMS = (MHA, DATAHIVE)
#: The review type of a notice whose LTA check failed ``lta_max_attempts`` times.
LTA_FAILED = "LTA_FAILED"


@dataclass
class Clients:
    """The external systems a run talks to (each None when not needed)."""

    lta: LtaClient | None = None
    mha: MhaClient | None = None
    datahive: DataHiveClient | None = None

    @classmethod
    def from_config(cls, config, parameters: dict) -> "Clients":
        """Clients from the app config with the ruleset's retry counts and backoff."""
        backoff = float(parameters.get("retry_backoff_seconds", config.get("OCMS_HTTP_BACKOFF", 2)))

        def policy(name, timeout_setting):
            return RetryPolicy(retries=int(parameters.get(name, config.get("OCMS_HTTP_RETRIES", 3))), backoff=backoff,
                               timeout=config.get(timeout_setting) or 30.0)
        threshold = int(parameters.get("give_up_after_failures") or 3)
        return cls(LtaClient.from_config(config, policy("lta_retries", "OCMS_LTA_TIMEOUT")).with_breaker(threshold),
                   MhaClient.from_config(config, policy("mha_retries", "OCMS_MHA_TIMEOUT")).with_breaker(threshold),
                   DataHiveClient.from_config(config, policy("datahive_retries", "OCMS_DATAHIVE_TIMEOUT"))
                   .with_breaker(threshold))

    def skipped(self) -> dict:
        """Calls not made because the run gave up on the system (per system)."""
        return {c.SYSTEM: c.breaker.skipped for c in (self.lta, self.mha, self.datahive)
                if c is not None and getattr(c, "breaker", None) is not None}

    def close(self) -> None:
        for c in (self.lta, self.mha, self.datahive):
            if c is not None:
                c.close()


@dataclass
class CheckCounts:
    lta_ok: int = 0
    lta_failed: int = 0
    mha_ok: int = 0
    mha_failed: int = 0
    datahive_ok: int = 0
    datahive_failed: int = 0
    pending_resolved: int = 0
    lta_manual_review: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"ltaOk": self.lta_ok, "ltaFailed": self.lta_failed, "mhaOk": self.mha_ok, "mhaFailed": self.mha_failed,
                "dataHiveOk": self.datahive_ok, "dataHiveFailed": self.datahive_failed,
                "pendingChecksResolved": self.pending_resolved, "ltaManualReview": self.lta_manual_review}


def current_offenders(session: Session, notice_nos) -> dict[str, OffenceNoticeOwnerDriver]:
    """notice → its current offender (one read for the batch; the first by indicator if several)."""
    O = OffenceNoticeOwnerDriver
    out: dict[str, OffenceNoticeOwnerDriver] = {}
    for row in session.scalars(select(O).where(in_batch(session, O.notice_no, list(notice_nos)), O.is_current == "Y")
                               .order_by(O.notice_no, O.owner_driver_indicator)):
        out.setdefault(row.notice_no, row)
    return out


def owner_rows(session: Session, notice_nos) -> dict[str, OffenceNoticeOwnerDriver]:
    """notice → its owner row (``O``) if it has one (one read for the batch)."""
    O = OffenceNoticeOwnerDriver
    return {r.notice_no: r for r in session.scalars(select(O).where(
        in_batch(session, O.notice_no, list(notice_nos)), O.owner_driver_indicator == OWNER))}


class _Vehicle:
    """What a pending LTA check is about: the notice's owner row ``O`` and the vehicle (as id_no)."""

    def __init__(self, notice_no: str, vehicle_no: str):
        self.notice_no, self.owner_driver_indicator, self.id_no = notice_no, OWNER, vehicle_no


def lta_owner(session: Session, lta: LtaClient, notice_no: str, vehicle_no: str, when: dt.datetime,
              counts: CheckCounts, current: OffenceNoticeOwnerDriver | None,
              owner_row: OffenceNoticeOwnerDriver | None, pending: "PendingBook | None" = None,
              stage: str | None = "ROV") -> VehicleOwner | None:
    """Ask LTA who owns ``vehicle_no``; record the owner on the notice; None when LTA gave no answer.

    ``owner_row``: the notice's ``O`` row if any (read beforehand for the whole batch, :func:`owner_rows`).
    ``pending``: where a failed ask is recorded for the next run (and a successful one resolved).
    """
    try:
        owner = lta.vehicle_owner(vehicle_no).value
    except RecordNotFound:
        counts.lta_failed += 1
        counts.errors.append(f"{notice_no}: LTA has no owner of {vehicle_no}")
        log.warning("LTA has no owner of the vehicle of notice %s: existing data kept", notice_no)
        if pending is not None:
            pending.failed(_Vehicle(notice_no, vehicle_no), LTA, stage, "LTA has no owner of the vehicle", when)
        return None
    except ExternalCallError as e:
        counts.lta_failed += 1
        counts.errors.append(f"{notice_no}: {e}")
        if isinstance(e, CircuitOpen):
            log.warning("LTA check of notice %s not made (%s): existing data kept", notice_no, e)
        else:
            log.error("LTA check of notice %s failed (%s): existing data kept", notice_no, e)
        if pending is not None:
            pending.failed(_Vehicle(notice_no, vehicle_no), LTA, stage, str(e), when)
        return None
    counts.lta_ok += 1
    if pending is not None:
        pending.succeeded(notice_no, LTA)
    values = {"id_type": owner.owner_id_type, "id_no": owner.owner_id_no, "name": owner.owner_name,
              "upd_user_id": SYSTEM_USER}
    if owner_row is None:
        session.add(OffenceNoticeOwnerDriver(
            notice_no=notice_no, owner_driver_indicator=OWNER,
            is_current="N" if current is not None and current.owner_driver_indicator != OWNER else "Y",
            cre_date=when, cre_user_id=SYSTEM_USER, **values))
    else:
        for k, v in {**values, "upd_date": when}.items():
            setattr(owner_row, k, v)
    return owner


class PendingBook:
    """The open ``ocms_pending_check`` rows of a batch of notices: read once, written once (:meth:`flush`)."""

    def __init__(self, session: Session, notice_nos):
        P = PendingCheck
        self.session = session
        self.open: dict[tuple[str, str], PendingCheck] = {
            (r.notice_no, r.system): r for r in session.scalars(select(P).where(
                in_batch(session, P.notice_no, list(notice_nos)), P.resolved_at.is_(None)))}
        self.resolved: dict[str, list[str]] = {}

    def failed(self, offender, system: str, stage: str | None, error: str, when: dt.datetime) -> PendingCheck:
        row = self.open.get((offender.notice_no, system))
        if row is None:
            row = PendingCheck(notice_no=offender.notice_no, owner_driver_indicator=offender.owner_driver_indicator,
                               id_no=offender.id_no, system=system, stage=stage, attempts=1, last_error=error[:2000],
                               last_tried_at=when, cre_date=when, cre_user_id=SYSTEM_USER)
            self.session.add(row)
            self.open[(offender.notice_no, system)] = row
        else:
            row.attempts += 1
            row.last_error, row.last_tried_at = error[:2000], when
        return row

    def succeeded(self, notice_no: str, system: str) -> None:
        if (notice_no, system) in self.open:
            self.resolved.setdefault(system, []).append(notice_no)

    def flush(self, when: dt.datetime) -> int:
        """Close the checks that succeeded (one UPDATE per system); return how many."""
        P, done = PendingCheck, 0
        self.session.flush()
        for system, notice_nos in self.resolved.items():
            done += self.session.execute(update(P).where(
                in_batch(self.session, P.notice_no, notice_nos), P.system == system, P.resolved_at.is_(None))
                .values(resolved_at=when).execution_options(synchronize_session=False)).rowcount
        self.resolved = {}
        return done


def refresh_offender(session: Session, clients: Clients, offender: OffenceNoticeOwnerDriver, stage: str | None,
                     when: dt.datetime, counts: CheckCounts, pending: PendingBook) -> None:
    """MHA then DataHive for the offender; what answers is written, what fails is left pending for the next run."""
    if not offender.id_no:
        return
    try:
        p = clients.mha.particulars(offender.id_no).value
        if p.name:
            offender.name = p.name
        if p.address is not None:
            street = " ".join(x for x in (p.address.block_house_no, p.address.street_name) if x)
            offender.street_name, offender.bldg_name = street[:65] or None, p.address.building_name
            offender.unit_no, offender.postal_code = p.address.unit_number, p.address.postal_code
        if p.is_deceased is not None:
            offender.is_deceased = "Y" if p.is_deceased else "N"
        offender.mha_checked_date = when
        counts.mha_ok += 1
        pending.succeeded(offender.notice_no, "MHA")
    except ExternalCallError as e:  # unavailable, or no record (404): proceed without the update
        counts.mha_failed += 1
        counts.errors.append(f"{offender.notice_no}: {e}")
        log.warning("MHA check of notice %s failed (%s): proceeding without update, retried next run",
                    offender.notice_no, e)
        pending.failed(offender, "MHA", stage, str(e), when)
    try:
        c = clients.datahive.contact(offender.id_no).value
        offender.mobile_no, offender.email_addr = c.mobile_number, c.email_address
        counts.datahive_ok += 1
        pending.succeeded(offender.notice_no, "DATAHIVE")
    except ExternalCallError as e:
        counts.datahive_failed += 1
        counts.errors.append(f"{offender.notice_no}: {e}")
        log.warning("DataHive check of notice %s failed (%s): proceeding without update, retried next run",
                    offender.notice_no, e)
        pending.failed(offender, "DATAHIVE", stage, str(e), when)
    offender.upd_date, offender.upd_user_id = when, SYSTEM_USER


def retry_pending(session: Session, clients: Clients, when: dt.datetime, counts: CheckCounts, limit: int = 1000) -> int:
    """Retry the open MHA/DataHive checks (oldest first, at most ``limit`` notices); return how many were tried."""
    P = PendingCheck
    notices = list(dict.fromkeys(session.scalars(select(P.notice_no).where(P.resolved_at.is_(None),
                                                                          P.system.in_(OFFENDER_SYSTEMS))
                                                 .order_by(P.last_tried_at, P.id).limit(limit))))
    if not notices:
        return 0
    offenders = current_offenders(session, notices)
    pending = PendingBook(session, notices)
    gone = [n for n in notices if n not in offenders]
    if gone:  # the offender changed meanwhile: nothing left to check
        session.execute(update(P).where(in_batch(session, P.notice_no, gone), P.resolved_at.is_(None),
                                        P.system.in_(OFFENDER_SYSTEMS))
                        .values(resolved_at=when).execution_options(synchronize_session=False))
    for n in notices:
        if n in offenders:
            refresh_offender(session, clients, offenders[n], None, when, counts, pending)
    counts.pending_resolved += pending.flush(when)
    return len(notices)


def retry_lta_pending(session: Session, lta: LtaClient, when: dt.datetime, counts: CheckCounts,
                      max_attempts: int = 3, limit: int = 1000) -> list[tuple[str, VehicleOwner]]:
    """Ask LTA again for the notices whose LTA check failed before (oldest first, at most ``limit``).

    A success records the owner and resolves the check; a failure counts one more attempt, and at
    ``max_attempts`` the check is closed and the notice queued for manual review (``LTA_FAILED``) -
    a visible state an officer works from, never a notice stuck without owner for ever.
    Returns (notice, LTA's answer) of the successes, for the VIP type re-check.
    """
    from repository.models import ValidOffenceNotice as V
    P = PendingCheck
    rows = list(session.scalars(select(P).where(P.resolved_at.is_(None), P.system == LTA)
                                .order_by(P.last_tried_at, P.id).limit(limit)))
    if not rows:
        return []
    notice_nos = [r.notice_no for r in rows]
    vehicles = dict(session.execute(select(V.notice_no, V.vehicle_no).where(in_batch(session, V.notice_no, notice_nos))).all())
    offenders, owners = current_offenders(session, notice_nos), owner_rows(session, notice_nos)
    pending = PendingBook(session, notice_nos)
    answered = []
    for r in rows:
        vehicle_no = vehicles.get(r.notice_no)
        if vehicle_no is None:             # the notice is gone: nothing to ask
            r.resolved_at = when
            continue
        owner = lta_owner(session, lta, r.notice_no, vehicle_no, when, counts, offenders.get(r.notice_no),
                          owners.get(r.notice_no), pending, r.stage)
        if owner is not None:
            answered.append((r.notice_no, owner))
        elif r.attempts >= max_attempts:
            r.resolved_at = when
            counts.lta_manual_review += 1
            session.add(ManualReviewQueue(
                notice_no=r.notice_no, review_type=LTA_FAILED,
                reason=f"LTA vehicle ownership check of {vehicle_no} failed {r.attempts} times; last error: "
                       f"{(r.last_error or '')[:500]}",
                details={"vehicleNo": vehicle_no, "attempts": r.attempts, "stage": r.stage},
                cre_user_id=SYSTEM_USER, cre_date=when))
            log.error("LTA check of notice %s failed %d times: queued for manual review (%s)", r.notice_no,
                      r.attempts, LTA_FAILED)
    counts.pending_resolved += pending.flush(when)
    return answered


__all__ = ["CheckCounts", "LTA_FAILED", "retry_lta_pending", "Clients", "PendingBook", "current_offenders", "lta_owner", "owner_rows", "refresh_offender",
           "retry_pending"]
