"""The SMS gateway and the email service, simulated on loopback: ``POST /send`` (OCMS 10 §3.5).

    with SmsSimulator() as sms:
        sms.reject_next(2)                 # the next 2 sends answer 200 {"status": "failed"} (a failed attempt)
        sms.reject("91234567")             # every send to this recipient answers {"status": "failed"}
        ... plus every fault of :class:`simulators.base.FaultyJsonApi` ...
        sms.sent                           # [{"to": "9...", "message": "...", "messageId": "SMS-1"}, ...]

HTTP controls: ``POST /_control`` ``{"rejectNext": 2, "reject": ["91234567"]}`` besides the common ones;
``GET /_sent`` lists the messages accepted.
"""
from __future__ import annotations

import itertools

from .base import FaultyJsonApi, _json

PATH = "/send"


class _Messaging(FaultyJsonApi):
    """A gateway that accepts messages: ``{"status": "success", "messageId", "timestamp"}``."""

    RECIPIENT = ""      # the field naming the recipient
    REQUIRED: tuple[str, ...] = ()
    PREFIX = "MSG"

    def reset_data(self) -> None:
        self._reject_next = 0
        self._rejected: set[str] = set()
        self.sent: list[dict] = []
        self._ids = itertools.count(1)

    def routes(self):
        return {("POST", PATH): self._send}

    def _wsgi(self, environ, start_response):
        from werkzeug.wrappers import Request
        request = Request(environ)
        if request.path == "/_sent" and request.method == "GET":
            with self._lock:
                return _json({"count": len(self.sent), "sent": list(self.sent)})(environ, start_response)
        return super()._wsgi(environ, start_response)

    def reject_next(self, n: int) -> None:
        """Answer the next ``n`` sends with HTTP 200 ``{"status": "failed"}``."""
        with self._lock:
            self._reject_next = int(n)

    def reject(self, *recipients: str) -> None:
        """Answer every send to these recipients with ``{"status": "failed"}``."""
        with self._lock:
            self._rejected.update(recipients)

    def control(self, body: dict) -> None:
        if "rejectNext" in body:
            self.reject_next(body["rejectNext"])
        if body.get("reject"):
            self.reject(*body["reject"])

    def _send(self, request):
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or any(not isinstance(body.get(k), str) or not body[k] for k in self.REQUIRED):
            return 400, {"status": "failed", "message": f"{', '.join(self.REQUIRED)} required"}
        with self._lock:
            if self._reject_next > 0 or body[self.RECIPIENT] in self._rejected:
                self._reject_next = max(self._reject_next - 1, 0)
                return 200, {"status": "failed", "messageId": None, "timestamp": None,
                             "message": "recipient not reachable"}
            message_id = f"{self.PREFIX}-{next(self._ids)}"
            self.sent.append({"to": body[self.RECIPIENT], "messageId": message_id,
                              **{k: body.get(k) for k in self.REQUIRED if k != self.RECIPIENT}})
        return 200, {"status": "success", "messageId": message_id, "timestamp": "2026-01-15T08:30:00"}


class SmsSimulator(_Messaging):
    NAME = "SMS"
    RECIPIENT = "mobileNumber"
    REQUIRED = ("mobileNumber", "message", "sender")
    PREFIX = "SMS"


class EmailSimulator(_Messaging):
    NAME = "EMAIL"
    RECIPIENT = "emailAddress"
    REQUIRED = ("emailAddress", "subject", "body", "sender")
    PREFIX = "EM"


SMS_PORT, EMAIL_PORT = 8714, 8715

__all__ = ["EMAIL_PORT", "EmailSimulator", "PATH", "SMS_PORT", "SmsSimulator"]
