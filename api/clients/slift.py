"""Client of SLIFT: submit an AN letter for printing and mailing (OCMS 10 §3.6 OP-AN-SLIFT-001).

    POST {OCMS_SLIFT_URL}/submit            (multipart/form-data)
    API-Key: {OCMS_SLIFT_API_KEY}
    noticeNumber, vehicleNumber, letterType=ADVISORY_NOTICE, recipientName, recipientAddress, priority=NORMAL,
    letterFile=<the PDF>
    -> {"status": "success", "submissionId": "SLIFT-...", "timestamp": "...", "estimatedPrintDate": "2026-01-17"}

§3.6 "SLIFT Success? status = success AND submission_id returned": any other
200 answer is a failed attempt, retried (after 1, 2 and 4 s by default). A
4xx (other than 404/429) is a rejection ("SLIFT Rejection: validation error"):
:class:`SliftRejected`, final at once, with SLIFT's reason. Timeout 30 s.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import requests

from .http import CallOutcome, ExternalCallError, MalformedResponse
from .json_api import JsonApiClient, iso_date, json_object, refusal_reason, text

SYSTEM = "SLIFT"
SUBMIT_PATH = "/submit"
LETTER_TYPE = "ADVISORY_NOTICE"


class SliftRejected(ExternalCallError):
    """SLIFT refused the letter (HTTP 4xx): not retried; ``reason`` is SLIFT's message if it gave one."""

    def __init__(self, reason: str, attempts: int, errors: list[str], status: int | None):
        self.reason = reason
        super().__init__(SYSTEM, f"rejected the letter ({reason})", attempts, errors, status)


@dataclass(frozen=True)
class Submission:
    """A letter SLIFT accepted."""

    submission_id: str
    timestamp: str | None
    estimated_print_date: dt.date | None


def parse_submission(response: requests.Response) -> Submission:
    """``{"status": "success", "submissionId": ...}``; anything else is MalformedResponse (a failed attempt)."""
    body = json_object(response)
    status = text(body, "status", 20)
    if status is None or status.lower() != "success":
        raise MalformedResponse(f"status is {status!r}, not 'success'")
    return Submission(text(body, "submissionId", 50, required=True), text(body, "timestamp", 40),
                      iso_date(body, "estimatedPrintDate"))


class SliftClient(JsonApiClient):
    """SLIFT over HTTP: :meth:`submit`."""

    SYSTEM = SYSTEM
    URL_SETTING = "OCMS_SLIFT_URL"
    KEY_SETTING = "OCMS_SLIFT_API_KEY"
    TIMEOUT_SETTING = "OCMS_SLIFT_TIMEOUT"

    def submit(self, notice_no: str, vehicle_no: str, pdf: bytes, recipient_name: str, recipient_address: str,
               priority: str = "NORMAL") -> CallOutcome:
        """Submit one AN letter (``.value``: :class:`Submission`).

        Raises :class:`SliftRejected` (a 4xx: SLIFT refused it),
        :class:`~api.clients.json_api.NotConfigured`, or
        :class:`~api.clients.http.ExternalCallError` after the retries.
        """
        fields = {"noticeNumber": notice_no, "vehicleNumber": vehicle_no, "letterType": LETTER_TYPE,
                  "recipientName": recipient_name, "recipientAddress": recipient_address, "priority": priority}
        files = {"letterFile": (f"{notice_no}.pdf", pdf, "application/pdf")}
        try:
            return self.post(SUBMIT_PATH, parse_submission, data=fields, files=files, describe_refusal=refusal_reason,
                             resend_safe=False)  # never two letters
        except ExternalCallError as e:
            if e.status is not None and 400 <= e.status < 500:
                raise SliftRejected(e.last_error, e.attempts, e.errors, e.status) from None
            raise


__all__ = ["LETTER_TYPE", "SUBMIT_PATH", "SYSTEM", "SliftClient", "SliftRejected", "Submission", "parse_submission"]
