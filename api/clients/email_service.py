"""Client of the email service: send the eAN email (OCMS 10 §3.5).

    POST {OCMS_EMAIL_URL}/send
    API-Key: {OCMS_EMAIL_API_KEY}
    {"emailAddress": "tan@example.com", "subject": "Advisory Notice ...", "body": "Dear Vehicle Owner, ...",
     "sender": "noreply@ura.gov.sg"}
    -> {"status": "success", "messageId": "EM-...", "timestamp": "2026-01-15T08:30:00"}

As the SMS gateway (:mod:`api.clients.sms`): ``"status": "failed"`` or no
``messageId`` is a failed attempt, retried. Timeout 10 s, 3 retries.
"""
from __future__ import annotations

from .http import CallOutcome
from .json_api import JsonApiClient
from .sms import Sent, parse_sent

SYSTEM = "EMAIL"
SEND_PATH = "/send"


class EmailServiceClient(JsonApiClient):
    """The email service over HTTP: :meth:`send`."""

    SYSTEM = SYSTEM
    URL_SETTING = "OCMS_EMAIL_URL"
    KEY_SETTING = "OCMS_EMAIL_API_KEY"
    TIMEOUT_SETTING = "OCMS_EMAIL_TIMEOUT"

    def send(self, email_address: str, subject: str, body: str, sender: str = "noreply@ura.gov.sg") -> CallOutcome:
        """Send one email (``.value``: :class:`~api.clients.sms.Sent`); ExternalCallError after the retries."""
        return self.post(SEND_PATH, parse_sent, json={"emailAddress": email_address, "subject": subject,
                                                      "body": body, "sender": sender},
                         resend_safe=False)  # never two emails: a late answer is in doubt, not resent


__all__ = ["EmailServiceClient", "SEND_PATH", "SYSTEM", "Sent"]
