"""External checks before a stage (OCMS 14 tab 2 steps 9-11, 14, 17; error paths tab 9).

* :func:`lta_owner` — LTA's vehicle ownership check at ROV: the registered owner becomes (or refreshes)
  the notice's owner row ``O`` (current, unless another offender - a furnished driver or hirer - is);
  LTA's vehicle type is returned for the VIP re-check. LTA failing after its retries (timeout, 5xx,
  malformed) or not knowing the vehicle: logged, and the notice goes on with the existing data.
* :func:`refresh_offender` — MHA (name, address, deceased) and DataHive (mobile, email) of the current
  offender before RD1/RD2/RR3 (DN1/DN2/DR3). A system that is unavailable: the notice goes on without
  the update, and an ``ocms_pending_check`` row makes the next run retry it (:func:`retry_pending`).

Clients come with the retry policy the ruleset stage_progression gives (``lta_retries`` …).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.clients.datahive import DataHiveClient
from api.clients.http import ExternalCallError, RetryPolicy
from api.clients.json_api import RecordNotFound
from api.clients.lta import LtaClient, VehicleOwner
from api.clients.mha import MhaClient
from repository.models import SYSTEM_USER, OffenceNoticeOwnerDriver, PendingCheck

from .batch import in_batch

log = logging.getLogger(__name__)

OWNER = "O"


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
        return cls(LtaClient.from_config(config, policy("lta_retries", "OCMS_LTA_TIMEOUT")),
                   MhaClient.from_config(config, policy("mha_retries", "OCMS_MHA_TIMEOUT")),
                   DataHiveClient.from_config(config, policy("datahive_retries", "OCMS_DATAHIVE_TIMEOUT")))

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
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"ltaOk": self.lta_ok, "ltaFailed": self.lta_failed, "mhaOk": self.mha_ok, "mhaFailed": self.mha_failed,
                "dataHiveOk": self.datahive_ok, "dataHiveFailed": self.datahive_failed,
                "pendingChecksResolved": self.pending_resolved}


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


def lta_owner(session: Session, lta: LtaClient, notice_no: str, vehicle_no: str, when: dt.datetime,
              counts: CheckCounts, current: OffenceNoticeOwnerDriver | None,
              owner_row: OffenceNoticeOwnerDriver | None) -> VehicleOwner | None:
    """Ask LTA who owns ``vehicle_no``; record the owner on the notice; None when LTA gave no answer.

    ``owner_row``: the notice's ``O`` row if any (read beforehand for the whole batch, :func:`owner_rows`).
    """
    try:
        owner = lta.vehicle_owner(vehicle_no).value
    except RecordNotFound:
        counts.lta_failed += 1
        counts.errors.append(f"{notice_no}: LTA has no owner of {vehicle_no}")
        log.warning("LTA has no owner of the vehicle of notice %s: existing data kept", notice_no)
        return None
    except ExternalCallError as e:
        counts.lta_failed += 1
        counts.errors.append(f"{notice_no}: {e}")
        log.error("LTA check of notice %s failed (%s): existing data kept", notice_no, e)
        return None
    counts.lta_ok += 1
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

    def failed(self, offender: OffenceNoticeOwnerDriver, system: str, stage: str | None, error: str,
               when: dt.datetime) -> None:
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
    """Retry the open pending checks (oldest first, at most ``limit`` notices); return how many were tried."""
    P = PendingCheck
    notices = list(dict.fromkeys(session.scalars(select(P.notice_no).where(P.resolved_at.is_(None))
                                                 .order_by(P.last_tried_at, P.id).limit(limit))))
    if not notices:
        return 0
    offenders = current_offenders(session, notices)
    pending = PendingBook(session, notices)
    gone = [n for n in notices if n not in offenders]
    if gone:  # the offender changed meanwhile: nothing left to check
        session.execute(update(P).where(in_batch(session, P.notice_no, gone), P.resolved_at.is_(None))
                        .values(resolved_at=when).execution_options(synchronize_session=False))
    for n in notices:
        if n in offenders:
            refresh_offender(session, clients, offenders[n], None, when, counts, pending)
    counts.pending_resolved += pending.flush(when)
    return len(notices)


__all__ = ["CheckCounts", "Clients", "PendingBook", "current_offenders", "lta_owner", "owner_rows", "refresh_offender",
           "retry_pending"]
