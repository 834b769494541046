"""The furnish sync job: copy new applications, check them against MHA, approve or queue them (OCMS 14 tab 4 steps 4-10).

``ocms jobs run furnish-sync`` (:func:`run_furnish_sync`):

1. copy the new internet applications into the intranet (:mod:`.sync`), commit;
2. page by page (``FURNISH/BATCH_SIZE`` in ocms_parameter, default 100), oldest
   first: **claim** the applications awaiting their automatic check (PENDING_APPROVAL,
   not in the OIC review queue, not claimed by another run) - one UPDATE that
   stamps ``claimed_by`` (this run) and ``claimed_until`` (now +
   ``FURNISH/CLAIM_MINUTES``, default 15), picking the rows with
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (concurrent runs take different rows
   without waiting for each other; on SQLite the database's single writer makes
   the claims one at a time) - and commit it. Only then ask MHA about each
   distinct NRIC/FIN of the claimed applications (outside any transaction), so
   concurrent runs never ask MHA about the same application;
3. in ONE transaction per page: lock the applications still pending and still
   claimed by this run, lock their notices, read the notices and their current
   offenders, ask ``furnish_eligibility`` and ``furnish_approval`` for every
   application and ``stage_map`` for the approved ones' next stage, write the
   outcomes set-based (:mod:`.outcomes`) with the decisions in the decision log,
   release the claims, and commit.

AUTO_APPROVE: approved now. OIC_REVIEW: queued for an OIC with the rule's
message. RETRY (MHA unreachable): counted and left for the next run. A crash
loses at most the page in flight: its claims lapse after ``CLAIM_MINUTES``
(a re-run with the same run key takes them back at once); a re-run (or a
concurrent run) decides nothing twice, because an application is decided only
by the transaction that claimed it while it was still undecided. An OIC may
decide a claimed application meanwhile: the run then counts it
``decidedElsewhere``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import datetime as dt

from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.orm import Session

from api.clients.mha import MhaClient
from api.decisions.log import record_decisions
from engine import RuleRegistry
from repository.base import now
from repository.furnish import PENDING_APPROVAL
from repository.models import FurnishApplication
from repository.queries import get_int_parameter

from . import outcomes
from .checks import AUTO_APPROVE, OIC_REVIEW, RETRY, decide, mha_id_types, mha_results
from .sync import SYNC_USER, copy_new_applications

log = logging.getLogger(__name__)

JOB_NAME = "furnish-sync"
AUTO = "AUTO"
BATCH_SIZE = ("FURNISH", "BATCH_SIZE")
DEFAULT_BATCH_SIZE = 100
CLAIM_MINUTES = ("FURNISH", "CLAIM_MINUTES")
DEFAULT_CLAIM_MINUTES = 15


@dataclass
class Counts:
    copied: int = 0
    waitingForNotice: int = 0
    checked: int = 0
    autoApproved: int = 0
    queuedForReview: int = 0
    retryLater: int = 0
    decidedElsewhere: int = 0
    mhaCalls: int = 0
    pages: int = 0
    reviewReasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def claim_page(session: Session, claimer: str, after: tuple | None, limit: int,
               claim_minutes: int) -> list[outcomes.Application]:
    """Claim the next page of applications awaiting their automatic check for ``claimer``; oldest first (keyset
    after ``after``). The caller commits, before it calls MHA.

    Claimable: PENDING_APPROVAL, not in the OIC review queue, and not claimed by another run (never claimed, the
    claim lapsed, or ``claimer``'s own - a re-run of a crashed run key). Returns the claimed applications.
    """
    t = FurnishApplication.__table__
    stamp = now()

    def claimable(x):
        cond = [x.c.status == PENDING_APPROVAL, x.c.review_reason.is_(None),
                or_(x.c.claimed_until.is_(None), x.c.claimed_until < stamp, x.c.claimed_by == claimer)]
        if after is not None:
            cond.append(tuple_(x.c.submitted_date, x.c.application_id) > tuple_(*after))
        return cond

    pick = select(t.c.application_id).where(*claimable(t)).order_by(t.c.submitted_date, t.c.application_id)
    pick = pick.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)   # rows another run is claiming now are left to it
    # Two statements, not UPDATE ... IN (subquery LIMIT n): PostgreSQL may rescan such a subquery and claim more
    # than a page. The UPDATE re-checks the conditions: on SQLite a run that read the same rows before another
    # run's claim committed gets none of them back.
    picked = session.scalars(pick).all()
    if not picked:
        return []
    ids = session.scalars(update(t).where(t.c.application_id.in_(picked), *claimable(t))
                          .values(claimed_by=claimer, claimed_until=stamp + dt.timedelta(minutes=claim_minutes))
                          .returning(t.c.application_id)).all()
    if not ids:
        return []
    apps = outcomes.load_applications(session, ids)
    return sorted(apps.values(), key=lambda a: (a.submitted_date, a.application_id))


def _release(session: Session, claimer: str, ids: list[str]) -> None:
    t = FurnishApplication.__table__
    for i in range(0, len(ids), outcomes.CHUNK):
        session.execute(update(t).where(t.c.application_id.in_(ids[i:i + outcomes.CHUNK]), t.c.claimed_by == claimer)
                        .values(claimed_by=None, claimed_until=None))


def _decide_page(session: Session, registry: RuleRegistry, ids: list[str], results: dict, counts: Counts,
                 request_id: str, claimer: str) -> None:
    """Lock, decide and write one claimed page in the session's transaction, release its claims (the caller
    commits)."""
    claimed = outcomes.claim(session, ids, awaiting_check=True, claimed_by=claimer)
    counts.decidedElsewhere += len(ids) - len(claimed)
    _release(session, claimer, ids)
    if not claimed:
        return
    apps = outcomes.load_applications(session, claimed)
    ordered = [apps[i] for i in claimed]
    outcomes.lock_notices(session, [a.notice_no for a in ordered])
    states = outcomes.notice_states(session, [a.notice_no for a in ordered])
    checked = decide(registry, ordered, states, results)
    decisions, subjects = [], []
    for c in checked:
        decisions += [c.eligibility, c.approval]
        subjects += [c.app.notice_no, c.app.notice_no]
    approve = [c for c in checked if c.approval.outcome == AUTO_APPROVE]
    stages = outcomes.next_stages(registry, [(c.app.furnish_type, states[c.app.notice_no].last_processing_stage)
                                             for c in approve])
    approvals, review, retry = [], [], []
    approving: set[str] = set()
    for c in checked:
        outcome = c.approval.outcome
        if outcome == AUTO_APPROVE and c.app.notice_no in approving:
            # Two pending applications of one notice (the internet zone allows one; data loaded otherwise might
            # not): the first is approved, a person decides the other.
            review.append((c.app, "Another application for this notice was approved in the same run"))
            continue
        if outcome == AUTO_APPROVE:
            stage_decision = stages[(c.app.furnish_type, states[c.app.notice_no].last_processing_stage)]
            decisions.append(stage_decision)
            subjects.append(c.app.notice_no)
            nxt = outcomes.stage_of(stage_decision)
            if nxt is None:   # an analyst took the furnish rows out of the stage map: a person must decide
                review.append((c.app, "Stage map gives no next stage for a furnished " + c.app.furnish_type.lower()))
                continue
            approvals.append(outcomes.Approval(c.app, nxt[0], nxt[1], AUTO, checked_now=True))
            approving.add(c.app.notice_no)
        elif outcome == RETRY:
            retry.append(c.app)
        else:  # OIC_REVIEW, or an outcome an analyst added that the service does not know: a person decides
            reason = c.approval.message or "Auto-approval criteria not met"
            if outcome == OIC_REVIEW and c.eligibility.message and c.eligibility.outcome != "ELIGIBLE":
                reason = f"{reason}: {c.eligibility.message}"
            review.append((c.app, reason))
    outcomes.approve(session, approvals, SYNC_USER)
    outcomes.queue_for_review(session, review, SYNC_USER)
    outcomes.note_retry(session, retry, SYNC_USER)
    record_decisions(session, decisions, subjects, request_id=request_id, caller=JOB_NAME)
    counts.checked += len(checked)
    counts.autoApproved += len(approvals)
    counts.queuedForReview += len(review)
    counts.retryLater += len(retry)
    for _, reason in review:
        counts.reviewReasons[reason] = counts.reviewReasons.get(reason, 0) + 1


def run_furnish_sync(uow, registry: RuleRegistry, config: dict, run_key: str,
                     mha: MhaClient | None = None, on_page: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Copy, check and decide (module docstring); commits after the copy and after each page. Returns the counts."""
    session: Session = uow.session
    counts = Counts()
    copied = copy_new_applications(session)
    counts.copied, counts.waitingForNotice = copied["copied"], copied["waitingForNotice"]
    uow.commit()
    batch = get_int_parameter(session, *BATCH_SIZE, default=DEFAULT_BATCH_SIZE) or DEFAULT_BATCH_SIZE
    claim_minutes = get_int_parameter(session, *CLAIM_MINUTES, default=DEFAULT_CLAIM_MINUTES) or DEFAULT_CLAIM_MINUTES
    uow.rollback()
    checkable = mha_id_types(registry)
    claimer = f"{JOB_NAME}:{run_key}"[:64]
    own = mha is None
    mha = mha or MhaClient.from_config(config)
    try:
        after = None
        while True:
            page = claim_page(session, claimer, after, batch, claim_minutes)
            uow.commit()   # the claim is visible to every other run before MHA is asked; no transaction stays open
            if not page:
                break
            after = (page[-1].submitted_date, page[-1].application_id)
            ids = [a.id_no for a in page if a.id_type in checkable and a.id_no]
            results = mha_results(mha, ids)
            counts.mhaCalls += len(results)
            _decide_page(session, registry, [a.application_id for a in page], results, counts,
                         request_id=f"{JOB_NAME}:{run_key}", claimer=claimer)
            uow.commit()
            counts.pages += 1
            if on_page:
                on_page(counts.pages)
    finally:
        if own:
            mha.close()
    log.info("%s %s: %s", JOB_NAME, run_key, counts.as_dict())
    return counts.as_dict()


__all__ = ["AUTO", "BATCH_SIZE", "CLAIM_MINUTES", "DEFAULT_BATCH_SIZE", "DEFAULT_CLAIM_MINUTES", "JOB_NAME",
           "claim_page", "run_furnish_sync"]
