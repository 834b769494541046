"""SLIFT, simulated on loopback: ``POST /submit`` (multipart/form-data), OCMS 10 §3.6.

    with SliftSimulator() as slift:
        slift.reject_next(1)               # the next submission answers 400 {"status": "failed", "message": ...}
        slift.fail_status_next(2)          # 200 {"status": "failed"} twice (failed attempts, retried)
        ... plus every fault of :class:`simulators.base.FaultyJsonApi` ...
        slift.submissions                  # [{"noticeNumber": ..., "letterFile": b"%PDF...", ...}, ...]

A submission needs every field of the spec and a non-empty ``letterFile`` that
starts like a PDF; otherwise it is rejected (400 with the reason), as a real
validator would. HTTP controls: ``{"rejectNext": 1, "rejectReason": "...", "failStatusNext": 2}``;
``GET /_submissions`` lists them (file sizes, not files).
"""
from __future__ import annotations

import itertools

from .base import FaultyJsonApi, _json

PATH = "/submit"
DEFAULT_PORT = 8716
FIELDS = ("noticeNumber", "vehicleNumber", "letterType", "recipientName", "recipientAddress", "priority")


class SliftSimulator(FaultyJsonApi):
    NAME = "SLIFT"

    def reset_data(self) -> None:
        self._reject_next, self._reject_reason, self._fail_status_next = 0, "Invalid recipient address", 0
        self.submissions: list[dict] = []
        self._ids = itertools.count(1)

    def routes(self):
        return {("POST", PATH): self._submit}

    def _wsgi(self, environ, start_response):
        from werkzeug.wrappers import Request
        request = Request(environ)
        if request.path == "/_submissions" and request.method == "GET":
            with self._lock:
                listed = [{**{k: v for k, v in s.items() if k != "letterFile"}, "letterFileSize": len(s["letterFile"])}
                          for s in self.submissions]
            return _json({"count": len(listed), "submissions": listed})(environ, start_response)
        return super()._wsgi(environ, start_response)

    def reject_next(self, n: int, reason: str | None = None) -> None:
        """Answer the next ``n`` submissions with 400 and ``reason`` (a validation error)."""
        with self._lock:
            self._reject_next = int(n)
            if reason:
                self._reject_reason = reason

    def fail_status_next(self, n: int) -> None:
        """Answer the next ``n`` submissions with 200 ``{"status": "failed"}`` (retried by the client)."""
        with self._lock:
            self._fail_status_next = int(n)

    def control(self, body: dict) -> None:
        if "rejectNext" in body:
            self.reject_next(body["rejectNext"], body.get("rejectReason"))
        if "failStatusNext" in body:
            self.fail_status_next(body["failStatusNext"])

    def _submit(self, request):
        form = request.form
        upload = request.files.get("letterFile")
        pdf = upload.read() if upload is not None else b""
        missing = [k for k in FIELDS if not form.get(k)]
        with self._lock:
            if missing:
                return 400, {"status": "failed", "message": f"missing field(s): {', '.join(missing)}"}
            if not pdf.startswith(b"%PDF"):
                return 400, {"status": "failed", "message": "letterFile is empty or not a PDF"}
            if self._reject_next > 0:
                self._reject_next -= 1
                return 400, {"status": "failed", "message": self._reject_reason}
            if self._fail_status_next > 0:
                self._fail_status_next -= 1
                return 200, {"status": "failed", "submissionId": None}
            submission_id = f"SLIFT-{next(self._ids):08d}"
            self.submissions.append({**{k: form.get(k) for k in FIELDS}, "letterFile": pdf,
                                     "submissionId": submission_id})
        return 200, {"status": "success", "submissionId": submission_id, "timestamp": "2026-01-15T08:30:00",
                     "estimatedPrintDate": "2026-01-17"}


__all__ = ["DEFAULT_PORT", "FIELDS", "PATH", "SliftSimulator"]
