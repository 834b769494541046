"""Keep the internet mirror (eocms_*) in step with a notice; queue and retry failed mirror writes.

The intranet rows are the record. After an intake has written them, the
notice and its suspensions are copied to ``eocms_valid_offence_notice`` and
``eocms_suspended_notice`` (:func:`sync_notice`, two idempotent upserts) inside
a SAVEPOINT: if that write fails, only the mirror write is undone, the
intranet rows still commit, and an ``ocms_manual_review_queue`` row
(review_type ``MIRROR_SYNC``, status ``OPEN``) records the notice. The job
``ocms jobs run mirror-retry`` (:func:`retry_mirrors`) re-copies every open
row and marks it ``RESOLVED``; a row that fails again stays ``OPEN`` with its
attempt count and last error, so a failed mirror write is never dropped.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import ManualReviewQueue, now
from repository.queries import copy_notice_to_mirror

log = logging.getLogger(__name__)

REVIEW_TYPE = "MIRROR_SYNC"
OPEN, RESOLVED = "OPEN", "RESOLVED"
JOB_USER = "ocmsiz_cron"

MirrorWriter = Callable[[Session, str], None]

def sync_notice(session: Session, notice_no: str) -> None:
    """Make the internet copies of notice ``notice_no`` and its suspensions equal to the intranet rows.

    Two upserts (:func:`repository.queries.copy_notice_to_mirror`); LookupError if there is no such notice.
    """
    notices, _ = copy_notice_to_mirror(session, notice_no)
    if not notices:
        raise LookupError(f"notice {notice_no!r} not found")


def _error_text(e: Exception) -> str:
    return (f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")[:500]


def mirror_or_queue(session: Session, notice_no: str, writer: MirrorWriter = sync_notice,
                    source: str | None = None) -> bool:
    """Write the mirror of ``notice_no`` in a savepoint; on failure queue it for ``mirror-retry``. True if written."""
    try:
        with session.begin_nested():
            writer(session, notice_no)
        return True
    except Exception as e:  # the internet zone is down or refused the row: the intranet record still stands
        log.warning("internet mirror of notice %s not written, queued for mirror-retry: %s", notice_no, _error_text(e))
        session.add(ManualReviewQueue(
            notice_no=notice_no, review_type=REVIEW_TYPE, status=OPEN,
            reason="Internet mirror write failed; retried by the mirror-retry job",
            details={"attempts": 1, "lastError": _error_text(e), "source": source}))
        session.flush()
        return False


def retry_mirrors(session: Session, writer: MirrorWriter = sync_notice, limit: int = 1000) -> dict:
    """Re-copy every open MIRROR_SYNC notice (oldest first, at most ``limit``); return counts. Never commits."""
    rows = list(session.scalars(
        select(ManualReviewQueue)
        .where(ManualReviewQueue.review_type == REVIEW_TYPE, ManualReviewQueue.status == OPEN)
        .order_by(ManualReviewQueue.id).limit(limit)))
    done: set[str] = set()
    counts = {"open": len(rows), "resolved": 0, "failed": 0}
    for row in rows:
        try:
            if row.notice_no not in done:  # one copy per notice, however many rows it has
                with session.begin_nested():
                    writer(session, row.notice_no)
                done.add(row.notice_no)
        except Exception as e:
            details = dict(row.details or {})
            details.update(attempts=int(details.get("attempts") or 1) + 1, lastError=_error_text(e))
            row.details = details
            counts["failed"] += 1
            log.warning("mirror-retry: notice %s still not mirrored: %s", row.notice_no, details["lastError"])
            continue
        row.status, row.resolved_date, row.resolved_by = RESOLVED, now(), JOB_USER
        row.resolution_remarks = "Internet mirror written by mirror-retry"
        counts["resolved"] += 1
    session.flush()
    return counts


__all__ = ["MirrorWriter", "OPEN", "RESOLVED", "REVIEW_TYPE", "mirror_or_queue", "retry_mirrors", "sync_notice"]
