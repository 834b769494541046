"""The work rows of the Advisory Notice notification flow (OCMS 10 §3.4-3.7): one per qualification.

``ocms_an_notification`` holds, per qualified AN, what every step of the flow
has recorded so far, so the ``an-notifications`` job resumes at the last
recorded step after a crash and never sends twice:

* ``status``: PENDING (work to do), DONE (notified and PS-ANS applied),
  SKIPPED (suspended meanwhile, no notification), REVIEW (in the manual review
  queue; ``review_id``), CLOSED (closed by staff from the queue).
* one result column per step: ``owner_result`` (LTA or MINDEF), ``contact_result``
  (DataHive), ``sms_result`` / ``email_result`` (eAN), ``address_result`` (MHA),
  ``letter_result`` (SLIFT), ``ps_ans_applied``. NULL means "not done yet".
  A send step writes ``SENDING`` and commits *before* the call: a row left at
  ``SENDING`` by a runner that died is ``IN_DOUBT`` and never sent again.
* ``claimed_by`` / ``claimed_until``: the runner working on the row (host:pid)
  and until when its claim holds; rows are claimed with ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, so concurrent runners share the work.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import AuditMixin, Base, inserted_after_notice

if TYPE_CHECKING:
    from .notices import ValidOffenceNotice

PENDING, DONE, SKIPPED, REVIEW, CLOSED = "PENDING", "DONE", "SKIPPED", "REVIEW", "CLOSED"
NOTIFICATION_STATUSES = (PENDING, DONE, SKIPPED, REVIEW, CLOSED)
#: A send step's result while its call is under way (committed before the call).
SENDING = "SENDING"
#: A send step found at SENDING by a later runner: the call may or may not have reached the system.
IN_DOUBT = "IN_DOUBT"


class AnNotification(AuditMixin, Base):
    """One qualified AN's way through owner particulars, eAN or letter, and PS-ANS (OCMS 10 §3.4-3.7)."""

    __tablename__ = "ocms_an_notification"
    __table_args__ = (Index("ix_ocms_an_notification_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_no: Mapped[str] = mapped_column(String(10), ForeignKey("ocms_valid_offence_notice.notice_no"),
                                           nullable=False, unique=True)
    _notice: Mapped["ValidOffenceNotice"] = inserted_after_notice()  # flush order only
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=PENDING)
    #: The last step recorded (the route's outcome that was carried out last), for staff and logs.
    step: Mapped[str] = mapped_column(String(20), nullable=False, default="QUALIFIED")
    owner_result: Mapped[Optional[str]] = mapped_column(String(10))     # FOUND MILITARY NOT_FOUND FAILED
    contact_result: Mapped[Optional[str]] = mapped_column(String(10))   # FOUND NONE FAILED
    sms_result: Mapped[Optional[str]] = mapped_column(String(10))       # SENDING SUCCESS FAILED IN_DOUBT
    email_result: Mapped[Optional[str]] = mapped_column(String(10))     # SENDING SUCCESS FAILED IN_DOUBT
    address_result: Mapped[Optional[str]] = mapped_column(String(10))   # FOUND NO_ADDRESS NOT_FOUND FAILED
    letter_result: Mapped[Optional[str]] = mapped_column(String(10))    # SENDING SUCCESS REJECTED FAILED INVALID IN_DOUBT
    ps_ans_applied: Mapped[str] = mapped_column(String(1), nullable=False, default="N")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)   # times a runner claimed it
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    review_id: Mapped[Optional[int]] = mapped_column(Integer)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(100))
    claimed_until: Mapped[Optional[datetime]] = mapped_column(DateTime)


__all__ = ["AnNotification", "CLOSED", "DONE", "IN_DOUBT", "NOTIFICATION_STATUSES", "PENDING", "REVIEW", "SENDING",
           "SKIPPED"]
