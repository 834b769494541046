"""The external systems of the AN notification flow, and one call to each as a plain result (OCMS 10 §3.4-3.6).

:class:`Channels` holds one client per system (LTA, DataHive, MHA, SMS gateway,
email service, SLIFT), each with the retry count, timeout and backoff that
``rules/an_notification_route.yaml`` gives (``<system>_retries``,
``<system>_timeout_seconds``, ``<system>_backoff_seconds``), sharing one
connection pool sized for the job's concurrent calls. Each ``call_*`` function
makes one call (with its retries) and returns a :class:`CallResult`: the
step's result code, what the system answered, the attempts, the last error.
Malformed answers (HTML pages, wrong types, missing fields) are failed attempts,
retried, and end as FAILED like timeouts and 5xx. Nothing here touches the database.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import requests
from requests.adapters import HTTPAdapter

from api.clients.datahive import DataHiveClient
from api.clients.email_service import EmailServiceClient
from api.clients.http import ExternalCallError, RetryPolicy
from api.clients.json_api import RecordNotFound
from api.clients.lta import LtaClient
from api.clients.mha import MhaClient
from api.clients.slift import SliftClient, SliftRejected
from api.clients.sms import SmsClient

SYSTEMS = {"lta": LtaClient, "datahive": DataHiveClient, "mha": MhaClient, "sms": SmsClient,
           "email": EmailServiceClient, "slift": SliftClient}


@dataclass
class CallResult:
    """One step's call: ``result`` (the work row's result code), the answer, attempts and errors."""

    result: str
    value: Any = None
    attempts: int = 0
    error: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)


def policy(parameters: Mapping[str, Any], system: str) -> RetryPolicy:
    """The retry policy the ruleset gives ``system`` (spec defaults when a parameter is missing)."""
    timeout = {"sms": 10.0, "email": 10.0}.get(system, 30.0)
    backoff = 1.0 if system in ("sms", "email", "slift") else 2.0
    return RetryPolicy(retries=int(parameters.get(f"{system}_retries", 3)),
                       backoff=float(parameters.get(f"{system}_backoff_seconds", backoff)),
                       timeout=float(parameters.get(f"{system}_timeout_seconds", timeout)))


@dataclass
class Channels:
    """One client per external system of the flow."""

    lta: LtaClient
    datahive: DataHiveClient
    mha: MhaClient
    sms: SmsClient
    email: EmailServiceClient
    slift: SliftClient

    @classmethod
    def from_config(cls, config: Mapping[str, Any], parameters: Mapping[str, Any], pool_size: int = 16,
                    sleep: Callable[[float], None] = time.sleep) -> "Channels":
        """The clients the config names (``OCMS_<SYSTEM>_URL``/``_API_KEY``) with the ruleset's policies."""
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=len(SYSTEMS), pool_maxsize=max(pool_size, 1))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        clients = {name: client.from_config(config, policy(parameters, name), session=session, sleep=sleep)
                   for name, client in SYSTEMS.items()}
        return cls(**clients)

    def close(self) -> None:
        self.lta.session.close()


def _failed(e: ExternalCallError, result: str = "FAILED") -> CallResult:
    """The call's failure as a result; a send that may have gone through (``e.in_doubt``) is IN_DOUBT, so the
    route never sends that channel again (OCMS 10 §3.5-3.6: one SMS, one email, one letter per qualification)."""
    return CallResult("IN_DOUBT" if e.in_doubt else result, None, e.attempts, str(e)[:2000], list(e.errors))


def call_lta(ch: Channels, vehicle_no: str) -> CallResult:
    """§3.4 OP-AN-LTA-001: FOUND (``value``: VehicleOwner), NOT_FOUND (404) or FAILED."""
    try:
        out = ch.lta.vehicle_owner(vehicle_no)
    except RecordNotFound as e:
        return _failed(e, "NOT_FOUND")
    except ExternalCallError as e:
        return _failed(e)
    return CallResult("FOUND", out.value, out.attempts, None, out.errors)


def call_datahive(ch: Channels, id_no: str) -> CallResult:
    """§3.4 OP-AN-DATAHIVE-001: FOUND (``value``: Contact), NONE (no mobile or email, or 404) or FAILED."""
    try:
        out = ch.datahive.contact(id_no)
    except RecordNotFound as e:
        return CallResult("NONE", None, e.attempts, str(e)[:2000], list(e.errors))
    except ExternalCallError as e:
        return _failed(e)
    return CallResult("FOUND" if out.value.found else "NONE", out.value, out.attempts, None, out.errors)


def call_mha(ch: Channels, id_no: str) -> CallResult:
    """§3.4 OP-AN-MHA-001: FOUND (``value``: Particulars with an address), NO_ADDRESS, NOT_FOUND or FAILED."""
    try:
        out = ch.mha.particulars(id_no)
    except RecordNotFound as e:
        return _failed(e, "NOT_FOUND")
    except ExternalCallError as e:
        return _failed(e)
    return CallResult("FOUND" if out.value.address is not None else "NO_ADDRESS", out.value, out.attempts, None,
                      out.errors)


def call_sms(ch: Channels, mobile: str, message: str, sender: str) -> CallResult:
    """§3.5 SMS gateway: SUCCESS (``value``: Sent) or FAILED after the retries; IN_DOUBT when it went unanswered in time."""
    try:
        out = ch.sms.send(mobile, message, sender)
    except ExternalCallError as e:
        return _failed(e)
    return CallResult("SUCCESS", out.value, out.attempts, None, out.errors)


def call_email(ch: Channels, address: str, subject: str, body: str, sender: str) -> CallResult:
    """§3.5 email service: SUCCESS (``value``: Sent) or FAILED after the retries; IN_DOUBT when it went unanswered in time."""
    try:
        out = ch.email.send(address, subject, body, sender)
    except ExternalCallError as e:
        return _failed(e)
    return CallResult("SUCCESS", out.value, out.attempts, None, out.errors)


def call_slift(ch: Channels, notice_no: str, vehicle_no: str, pdf: bytes, name: str, address: str) -> CallResult:
    """§3.6 OP-AN-SLIFT-001: SUCCESS (``value``: Submission), REJECTED (4xx), FAILED after the retries, IN_DOUBT when unanswered in time."""
    try:
        out = ch.slift.submit(notice_no, vehicle_no, pdf, name, address)
    except SliftRejected as e:
        return _failed(e, "REJECTED")
    except ExternalCallError as e:
        return _failed(e)
    return CallResult("SUCCESS", out.value, out.attempts, None, out.errors)


__all__ = ["CallResult", "Channels", "SYSTEMS", "call_datahive", "call_email", "call_lta", "call_mha", "call_slift",
           "call_sms", "policy"]
