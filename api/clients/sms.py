"""Client of the SMS gateway: send the eAN SMS (OCMS 10 §3.5).

    POST {OCMS_SMS_URL}/send
    API-Key: {OCMS_SMS_API_KEY}
    {"mobileNumber": "91234567", "message": "Advisory Notice ...", "sender": "URA_OCMS"}
    -> {"status": "success", "messageId": "SMS-...", "timestamp": "2026-01-15T08:30:00"}

§3.5 "SMS Success? Response status = success": ``"status": "failed"`` (and any
answer without a ``messageId``) is a failed attempt, retried like a 5xx
(:class:`~api.clients.http.MalformedResponse`). Timeout 10 s, 3 retries
(:mod:`api.clients.json_api`). A final 4xx is :class:`~api.clients.http.ExternalCallError`.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests

from .http import CallOutcome, MalformedResponse
from .json_api import JsonApiClient, json_object, text

SYSTEM = "SMS"
SEND_PATH = "/send"
#: §3.5: 10 seconds per call to the SMS gateway and the email service.
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Sent:
    """A message the gateway accepted."""

    message_id: str
    timestamp: str | None


def parse_sent(response: requests.Response) -> Sent:
    """``{"status": "success", "messageId": ...}``; anything else is MalformedResponse (a failed attempt)."""
    body = json_object(response)
    status = text(body, "status", 20)
    if status is None or status.lower() != "success":
        raise MalformedResponse(f"status is {status!r}, not 'success'")
    return Sent(text(body, "messageId", 100, required=True), text(body, "timestamp", 40))


class SmsClient(JsonApiClient):
    """The SMS gateway over HTTP: :meth:`send`."""

    SYSTEM = SYSTEM
    URL_SETTING = "OCMS_SMS_URL"
    KEY_SETTING = "OCMS_SMS_API_KEY"
    TIMEOUT_SETTING = "OCMS_SMS_TIMEOUT"

    def send(self, mobile_number: str, message: str, sender: str = "URA_OCMS") -> CallOutcome:
        """Send ``message`` to ``mobile_number`` (``.value``: :class:`Sent`); ExternalCallError after the retries."""
        return self.post(SEND_PATH, parse_sent, json={"mobileNumber": mobile_number, "message": message,
                                                      "sender": sender},
                         resend_safe=False)  # never two SMS: a late answer is in doubt, not resent


__all__ = ["DEFAULT_TIMEOUT", "SEND_PATH", "SYSTEM", "Sent", "SmsClient", "parse_sent"]
