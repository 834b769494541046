"""Send the day's unqualified ANs to REPCCS and CES (OCMS 10 §3.9): ``ocms jobs run unqualified-an-list``.

The run key is the business date whose notices are sent (``--key 2026-01-14``);
without one, the previous day, as the 02:00 cron wants. For each receiver:

1. select, in pages of ``UNQUALIFIED_AN/BATCH_SIZE`` (1,000) ordered by creation, the
   notices created that day with ``an_flag`` N or empty, not yet sent
   (``unqualified_list_sent_flag`` not Y), of the receiver's subsystems — which
   receiver a subsystem label belongs to is decided by the ruleset
   ``unqualified_an_receiver`` (rules/unqualified_an_receiver.yaml);
2. POST each page as one list, with the client's retries (``OCMS_HTTP_RETRIES``, 3)
   and exponential backoff;
3. in one transaction per page, mark the notices the receiver accepted as sent
   (flag Y, timestamp, ``ocmsiz_cron``) and write one
   ``ocms_unqualified_an_transmission_log`` row for the call
   (SUCCESS: all accepted, PARTIAL: some refused, FAILED: none delivered).

So a crash loses at most the page in flight, and a re-run sends only what is
not marked yet: nothing twice. A page that still fails after its retries stops
that receiver for this run (the next pages would only wait out the same
outage) and the run ends FAILED, so the next ``ocms jobs run`` of the same
key, with no ``--force``, sends the rest. Notices the receiver refused by name
stay unmarked and the run still succeeds; ``--force`` offers them again.

When a receiver still fails after its retries (§3.9 "Alert admin after 3
failures"), the administrator gets an email (``OCMS_ALERT_TO`` via
``OCMS_SMTP_HOST``/``PORT``, like the VIP refresh's alert) naming the business
date, each failed receiver, its last error, the attempts and the notices left
for a re-run; the run's counts say whether it went out (``alertSent``). A
database error while recording a page is only logged (the spec: "continue
to next batch").

The ``reason`` sent for a notice is the message of its latest recorded
``an_qualification`` decision (the decision log), else
"Not qualified as Advisory Notice".
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.clients.ces import ces_client
from api.clients.mail import MailSettings, send_alert
from api.clients.repccs import repccs_client
from api.clients.unqualified_list import SendResult, UnqualifiedListClient
from engine import RuleRegistry
from repository import business_time
from repository.models import DecisionLog, UnqualifiedAnTransmissionLog, ValidOffenceNotice, now
from repository.queries import get_int_parameter

log = logging.getLogger(__name__)

JOB_NAME = "unqualified-an-list"
CRON_USER = "ocmsiz_cron"
DEFAULT_REASON = "Not qualified as Advisory Notice"
SUCCESS, PARTIAL, FAILED = "SUCCESS", "PARTIAL", "FAILED"
SYSTEMS = ("REPCCS", "CES")


class UnqualifiedListIncomplete(RuntimeError):
    """Some notices could not be delivered; the run is FAILED so that a re-run sends them."""

    def __init__(self, message: str, counts: dict[str, Any]):
        super().__init__(message)
        self.counts = counts  # what the run did get done, for ocms_batch_job_run


@dataclass
class SystemOutcome:
    """What one receiver got in one run."""

    selected: int = 0      # notices offered (pages sent)
    accepted: int = 0      # marked as sent
    rejected: int = 0      # refused by name; left unmarked
    undelivered: int = 0   # in a page that failed after its retries, or never sent after it
    batches: int = 0
    retries: int = 0
    dbErrors: int = 0
    error: str | None = None


def previous_day() -> str:
    """The default run key: yesterday's business date (Singapore time by default, whatever the host's zone)."""
    return business_time.yesterday().isoformat()


def parse_business_date(run_key: str) -> dt.date:
    """The business date of a run key (``YYYY-MM-DD``)."""
    try:
        return dt.date.fromisoformat(str(run_key))
    except ValueError:
        raise ValueError(f"run key must be a date YYYY-MM-DD, got {run_key!r}") from None


# ---- which notices --------------------------------------------------------------------------
RECEIVER_RULESET = "unqualified_an_receiver"


def subsystem_conditions(session: Session, registry: RuleRegistry, day: dt.date) -> dict[str, ColumnElement[bool]]:
    """SQL conditions telling REPCCS notices from CES notices: the ruleset decides each distinct label."""
    label = ValidOffenceNotice.subsystem_label
    labels = sorted(session.scalars(select(label).where(*_pending(day, true())).distinct()), key=lambda v: v or "")
    decisions = registry.evaluate_many(RECEIVER_RULESET, [{"subsystem_label": v} for v in labels]) if labels else []
    chosen: dict[str, list[str]] = {system: [] for system in SYSTEMS}
    for value, d in zip(labels, decisions):
        if d.outcome in chosen and value is not None:
            chosen[d.outcome].append(value)
    return {system: label.in_(values) if values else false() for system, values in chosen.items()}


def _pending(day: dt.date, subsystem: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    n = ValidOffenceNotice
    start = business_time.day_start(day)
    return [
        n.cre_date >= start, n.cre_date < start + dt.timedelta(days=1),
        or_(n.an_flag == "N", n.an_flag.is_(None)),
        or_(n.unqualified_list_sent_flag.is_(None), n.unqualified_list_sent_flag != "Y"),
        subsystem,
    ]


def select_page(session: Session, day: dt.date, subsystem: ColumnElement[bool],
                after: tuple[dt.datetime, str] | None, size: int) -> list[Any]:
    """The next ``size`` unsent unqualified notices of ``day`` after ``after`` (creation time, notice no)."""
    n = ValidOffenceNotice
    stmt = select(n.notice_no, n.vehicle_no, n.subsystem_label, n.notice_date_and_time, n.cre_date).where(
        *_pending(day, subsystem))
    if after is not None:
        stmt = stmt.where(or_(n.cre_date > after[0], and_(n.cre_date == after[0], n.notice_no > after[1])))
    return list(session.execute(stmt.order_by(n.cre_date, n.notice_no).limit(size)))


def count_pending(session: Session, day: dt.date, subsystem: ColumnElement[bool],
                  after: tuple[dt.datetime, str] | None = None) -> int:
    """How many unsent unqualified notices of ``day`` remain (after ``after``)."""
    n = ValidOffenceNotice
    stmt = select(func.count()).select_from(n).where(*_pending(day, subsystem))
    if after is not None:
        stmt = stmt.where(or_(n.cre_date > after[0], and_(n.cre_date == after[0], n.notice_no > after[1])))
    return session.scalar(stmt) or 0


def reasons(session: Session, notice_nos: list[str]) -> dict[str, str]:
    """The message of each notice's latest applied ``an_qualification`` decision."""
    d = DecisionLog
    stmt = (select(d.subject, d.outputs).where(d.subject.in_(notice_nos), d.ruleset == "an_qualification",
                                               d.dry_run.is_(False))
            .order_by(d.subject, d.decided_at, d.id))
    out: dict[str, str] = {}
    for subject, outputs in session.execute(stmt):  # ascending: the latest wins
        message = outputs.get("message") if isinstance(outputs, dict) else None
        if message:
            out[subject] = str(message)
    return out


def payload(rows: list[Any], why: dict[str, str]) -> list[dict[str, Any]]:
    """The ``unqualifiedNotices`` of one list."""
    return [{"noticeNo": r.notice_no, "vehicleNo": r.vehicle_no, "subsystemLabel": r.subsystem_label,
             "noticeDate": r.notice_date_and_time.isoformat(), "reason": why.get(r.notice_no, DEFAULT_REASON)}
            for r in rows]


# ---- recording ------------------------------------------------------------------------------
def transmission_status(result: SendResult) -> str:
    """SUCCESS if every notice was accepted, FAILED if none, PARTIAL otherwise."""
    if not result.delivered or not result.accepted:
        return FAILED
    return SUCCESS if len(result.accepted) == len(result.sent) else PARTIAL


def record_page(session: Session, system: str, result: SendResult, stamp: dt.datetime) -> None:
    """Mark the accepted notices as sent and log the call (one statement each; the caller commits)."""
    n = ValidOffenceNotice
    if result.accepted:
        session.execute(
            update(n).where(n.notice_no.in_(result.accepted),
                            or_(n.unqualified_list_sent_flag.is_(None), n.unqualified_list_sent_flag != "Y"))
            .values(unqualified_list_sent_flag="Y", unqualified_list_sent_timestamp=stamp,
                    upd_user_id=CRON_USER, upd_date=stamp)
            .execution_options(synchronize_session=False))
    session.add(UnqualifiedAnTransmissionLog(
        transmission_date=stamp.date(), subsystem=system, total_count=len(result.sent),
        success_count=len(result.accepted), failed_count=len(result.sent) - len(result.accepted),
        retry_count=result.retries, status=transmission_status(result), cre_date=stamp, cre_user_id=CRON_USER))
    session.flush()


# ---- the job --------------------------------------------------------------------------------
def send_to(uow, system: str, client: UnqualifiedListClient, day: dt.date,
            subsystem: ColumnElement[bool], page_size: int) -> SystemOutcome:
    """Send ``day``'s unsent unqualified notices of one receiver, page by page, committing each page."""
    session = uow.session
    out = SystemOutcome()
    after = None
    while True:
        rows = select_page(session, day, subsystem, after, page_size)
        if not rows:
            return out
        after = (rows[-1].cre_date, rows[-1].notice_no)
        notices = payload(rows, reasons(session, [r.notice_no for r in rows]))
        result = client.send(business_time.today().isoformat(), notices)
        out.batches += 1
        out.selected += len(rows)
        out.retries += result.retries
        try:
            record_page(session, system, result, now())
            uow.commit()
        except SQLAlchemyError as e:
            # The spec: log and go on with the next page; these notices go again next run.
            uow.rollback()
            out.dbErrors += 1
            out.error = f"database: {type(e).__name__}"
            log.exception("%s: recording a page of %d notices failed", system, len(rows))
            continue
        out.accepted += len(result.accepted)
        out.rejected += len(result.rejected)
        if not result.delivered:
            out.undelivered += len(rows) + count_pending(session, day, subsystem, after)
            out.error = result.error
            log.error("%s: stopped after a failed page (%s); %d notices left for a re-run",
                      system, result.error, out.undelivered)
            return out


def _registry(config: dict) -> RuleRegistry:
    from api.decisions.instrumented import new_registry
    return new_registry(config["OCMS_RULES_DIR"])


def send_unqualified_an_list(uow, business_date: dt.date, config: dict,
                             clients: dict[str, UnqualifiedListClient] | None = None,
                             registry: RuleRegistry | None = None) -> dict[str, Any]:
    """Send ``business_date``'s unqualified ANs to REPCCS and CES; return counts per receiver.

    Raises :class:`UnqualifiedListIncomplete` (after committing every page that
    went through) when some notices could not be delivered.
    """
    session = uow.session
    retries = int(config.get("OCMS_HTTP_RETRIES", 3))  # the one retry setting of every external call
    page_size = get_int_parameter(session, "UNQUALIFIED_AN", "BATCH_SIZE", 1000)
    if page_size < 1:
        raise ValueError("parameter UNQUALIFIED_AN/BATCH_SIZE must be at least 1")
    clients = clients or {"REPCCS": repccs_client(config, retries=retries), "CES": ces_client(config, retries=retries)}
    conditions = subsystem_conditions(session, registry or _registry(config), business_date)
    outcomes = {system: send_to(uow, system, clients[system], business_date, conditions[system], page_size)
                for system in SYSTEMS}
    counts: dict[str, Any] = {"businessDate": business_date.isoformat(),
                              **{s: {k: v for k, v in asdict(o).items() if v is not None} for s, o in outcomes.items()}}
    log.info("unqualified-AN list for %s: %s", business_date, counts)
    problems = [f"{s}: {o.undelivered} notices undelivered ({o.error})" for s, o in outcomes.items() if o.undelivered]
    failed = {s: o for s, o in outcomes.items() if o.undelivered}
    if failed:  # §3.9: after the last failed retry, alert the administrator
        subject, body = alert_text(business_date, failed, clients, retries)
        counts["alertSent"] = send_alert(MailSettings.from_config(config), subject, body)
    problems += [f"{s}: {o.dbErrors} pages not recorded ({o.error})" for s, o in outcomes.items() if o.dbErrors]
    if problems:
        raise UnqualifiedListIncomplete("; ".join(problems), counts)
    return counts


def alert_text(business_date: dt.date, failed: dict[str, SystemOutcome], clients: dict[str, UnqualifiedListClient],
               retries: int) -> tuple[str, str]:
    """Subject and body of the administrator's alert when a receiver failed after its retries."""
    systems = ", ".join(failed)
    subject = f"[OCMS] {JOB_NAME} {business_date.isoformat()}: {systems} failed after {retries + 1} attempt(s)"
    lines = [f"The OCMS batch job {JOB_NAME} could not deliver the unqualified-AN list of "
             f"{business_date.isoformat()} (OCMS 10 §3.9).", ""]
    for system, o in failed.items():
        url = getattr(clients.get(system), "url", None) or f"(OCMS_{system}_URL not set)"
        lines += [f"{system}:",
                  f"  Call:        POST {url}",
                  f"  Last error:  {o.error}",
                  f"  Attempts:    1 try + {retries} retries per list",
                  f"  Delivered:   {o.accepted} notices in {o.batches - 1 if o.batches else 0} list(s) before the failure",
                  f"  Left to send: {o.undelivered} notices (not marked as sent)", ""]
    lines += ["Notices not delivered stay unmarked; nothing is sent twice.",
              f"After the cause is fixed, run again: ocms jobs run {JOB_NAME} --key {business_date.isoformat()}"]
    return subject, "\n".join(lines) + "\n"
