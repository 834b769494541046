"""Client of the unqualified-AN list receivers: REPCCS and CES share one API (OCMS 10 §3.9).

    POST <base url>/unqualified-an-list
    API-Key: <key>
    Idempotency-Key: <hash of system, transmission date and notice numbers>
    {"transmissionDate": "2026-01-15", "unqualifiedNotices": [{"noticeNo", "vehicleNo",
     "subsystemLabel", "noticeDate", "reason"}]}
    -> {"status": "success" | "failed", "receivedCount": n, "timestamp": "...",
        "rejectedNotices": [{"noticeNo": "...", "reason": "..."}]}   # optional, see below

The spec's answer says only success or failed for the whole list. A receiver
may also name notices it refused (``rejectedNotices``, an addition of this
service): those are not marked as sent and go again with a later run. A
notice counts as accepted only when the answer is ``status: success`` and does
not name it.

Retries (the spec: 3, exponential backoff, 60 s timeout per call) are those of
:func:`api.clients.http.call_with_retry`: a timeout, a refused connection, HTTP
429 or 5xx, or an answer other than ``success`` is retried ``retries`` times,
waiting ``backoff``, ``2 × backoff``, ``4 × backoff`` … seconds; any other 4xx
(bad key, bad payload) is final at once. The same ``Idempotency-Key`` goes with every attempt of one batch, so a
receiver that did process a call whose answer was lost can tell the retry
from a new list.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import requests

from .http import ExternalCallError, MalformedResponse, RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

PATH = "/unqualified-an-list"
API_KEY_HEADER = "API-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass
class SendResult:
    """What became of one list: accepted and rejected notices, attempts, the last error."""

    sent: list[str]
    accepted: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    delivered: bool = False
    error: str | None = None

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)


def idempotency_key(system: str, transmission_date: str, notice_nos: Iterable[str]) -> str:
    """A stable key of one batch: the same notices on the same day give the same key."""
    digest = hashlib.sha256(f"{system}|{transmission_date}|".encode())
    digest.update(",".join(sorted(notice_nos)).encode())
    return digest.hexdigest()[:40]


def parse_answer(response: requests.Response) -> dict:
    """The receiver's answer if it says ``success``; anything else is a failed attempt (retried)."""
    try:
        answer = response.json()
    except ValueError:
        raise MalformedResponse("body is not JSON") from None
    if not isinstance(answer, dict) or str(answer.get("status", "")).lower() != "success":
        status = answer.get("status") if isinstance(answer, dict) else None
        raise MalformedResponse(f"receiver answered status {status!r}")
    return answer


class UnqualifiedListClient:
    """Send unqualified-AN lists to one receiver (REPCCS or CES)."""

    def __init__(self, system: str, base_url: str | None, api_key: str | None = None,
                 policy: RetryPolicy = RetryPolicy(timeout=60.0), session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.system = system
        self.base_url = (base_url or "").rstrip("/")
        self.api_key = api_key
        self.policy = policy
        self.session = session or requests.Session()
        self.sleep = sleep

    @property
    def url(self) -> str:
        return self.base_url + PATH

    def send(self, transmission_date: str, notices: list[dict[str, Any]]) -> SendResult:
        """POST one list (a batch), retrying as the policy says; never raises for the receiver's faults."""
        sent = [n["noticeNo"] for n in notices]
        result = SendResult(sent=sent)
        if not self.base_url:
            result.error = f"no URL configured for {self.system} (OCMS_{self.system}_URL)"
            return result
        headers = {IDEMPOTENCY_HEADER: idempotency_key(self.system, transmission_date, sent)}
        if self.api_key:
            headers[API_KEY_HEADER] = self.api_key
        body = {"transmissionDate": transmission_date, "unqualifiedNotices": notices}
        try:
            outcome = call_with_retry(self.session, "POST", self.url, self.policy, parse_answer, system=self.system,
                                      headers=headers, json=body, sleep=self.sleep)
        except ExternalCallError as e:
            result.attempts, result.error = e.attempts, e.last_error
            return result
        result.attempts = outcome.attempts
        result.rejected = _rejected(outcome.value, set(sent))
        result.accepted = [n for n in sent if n not in result.rejected]
        result.delivered = True
        return result


def _rejected(answer: dict, sent: set[str]) -> dict[str, str]:
    """The notices of this batch the receiver named as refused, with its reason."""
    out: dict[str, str] = {}
    for item in answer.get("rejectedNotices") or []:
        if isinstance(item, dict) and item.get("noticeNo") in sent:
            out[item["noticeNo"]] = str(item.get("reason") or "rejected")[:200]
        elif isinstance(item, str) and item in sent:
            out[item] = "rejected"
    return out


def client_for(system: str, config: dict, session: requests.Session | None = None, **kwargs) -> UnqualifiedListClient:
    """The client of ``system`` (``REPCCS`` or ``CES``) from the ``OCMS_*`` settings."""
    prefix = f"OCMS_{system.upper()}"
    policy = RetryPolicy(retries=int(kwargs.pop("retries", 3)),
                         backoff=float(config.get("OCMS_UNQUALIFIED_AN_BACKOFF", 2.0)),
                         timeout=float(config.get("OCMS_UNQUALIFIED_AN_TIMEOUT", 60.0)))
    return UnqualifiedListClient(system.upper(), config.get(f"{prefix}_URL"), config.get(f"{prefix}_API_KEY"),
                                 policy=policy, session=session, **kwargs)


__all__ = ["IDEMPOTENCY_HEADER", "PATH", "SendResult", "UnqualifiedListClient", "client_for", "idempotency_key",
           "parse_answer"]
