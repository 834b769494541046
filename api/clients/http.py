"""Timeouts and retries with exponential backoff for the clients of external systems.

    policy = RetryPolicy(retries=3, backoff=2.0, timeout=(10.0, 30.0))
    outcome = call_with_retry(session, "POST", url, policy, parse=my_parser, headers=...)

One *attempt* is one HTTP call plus ``parse(response)``. What is retried
(``retries`` times after the first attempt, waiting ``backoff``, ``2 × backoff``,
``4 × backoff`` … seconds; a 429's ``Retry-After`` is honoured up to
:data:`MAX_RETRY_AFTER`):

* a refused or broken connection, a connect or read timeout;
* HTTP 429 and every 5xx;
* an answer ``parse`` refuses with :class:`MalformedResponse` (not JSON, wrong shape).

Any other 4xx (a wrong key, a refused payload) is final at once: no retry can
mend it. The outcome of the last attempt is raised as :class:`ExternalCallError`,
carrying the number of attempts and every attempt's error. Headers are never
logged (they carry keys); log lines name the system, the URL and what failed.

Every attempt is counted in ``ocms_external_calls_total{system, result}``
(``ok``; ``retry``: failed, tried again; ``failed``: the last attempt failed;
``refused``: a final 4xx) and timed in ``ocms_external_call_duration_seconds``
(api/metrics.py), so every client gets the same metrics.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, TypeVar

import requests

from api import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The longest wait a server's ``Retry-After`` may impose, seconds.
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is tried."""

    retries: int = 3
    backoff: float = 2.0
    #: seconds: one number for connect and read, or (connect, read)
    timeout: float | tuple[float, float] = 30.0

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): backoff × 2^(retry-1)."""
        return self.backoff * 2 ** (retry - 1)


class MalformedResponse(ValueError):
    """The answer arrived but is not what the API promises (counts as a failed attempt)."""


class ExternalCallError(RuntimeError):
    """A call to an external system failed for good: after its retries, or at once on a final 4xx."""

    def __init__(self, system: str, message: str, attempts: int, errors: list[str], status: int | None = None,
                 in_doubt: bool = False):
        self.system = system
        self.attempts = attempts
        self.errors = errors
        self.status = status
        #: The request reached the system but no answer came back in time: it may have been acted on.
        self.in_doubt = in_doubt
        last = errors[-1] if errors else "-"
        super().__init__(f"{system}: {message} after {attempts} attempt(s); last error: {last}")

    @property
    def last_error(self) -> str:
        return self.errors[-1] if self.errors else ""


@dataclass
class CallOutcome:
    """A successful call: the parsed answer and how many attempts it took."""

    value: Any
    attempts: int
    errors: list[str] = field(default_factory=list)  # the failed attempts before it

    @property
    def retries(self) -> int:
        return self.attempts - 1


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return min(max(float(raw), 0.0), MAX_RETRY_AFTER) if raw is not None else None
    except ValueError:
        return None  # an HTTP date: use our own backoff


def call_with_retry(
    session: requests.Session,
    method: str,
    url: str,
    policy: RetryPolicy,
    parse: Callable[[requests.Response], T],
    *,
    system: str,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    files: Mapping[str, tuple] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    describe_refusal: Callable[[requests.Response], str | None] | None = None,
    resend_safe: bool = True,
) -> CallOutcome:
    """Call ``method url`` until ``parse`` accepts a 2xx answer, retrying as the module says.

    ``params`` go into the query string (URL-encoded by requests); ``json`` is the body, or ``data`` (form
    fields) and ``files`` (``{name: (filename, bytes, content type)}``) as one multipart/form-data body.
    Raises :class:`ExternalCallError` (``.status`` set for a final 4xx such as 404); ``describe_refusal`` may
    add the system's reason for a final 4xx to its error text.

    ``resend_safe=False`` for a call that must never happen twice (an SMS, an email, a letter: OCMS 10 §3.5-3.6):
    a request that was sent but not answered in time (read timeout), or whose 2xx answer broke off, is not
    retried; :class:`ExternalCallError` is raised with ``in_doubt=True``. Failures before the request was sent
    (connection refused, connect timeout) and 5xx answers are retried as usual.
    """
    errors: list[str] = []
    attempts = 0
    last = max(policy.retries, 0) + 1
    for attempt in range(1, last + 1):
        attempts = attempt
        wait: float | None = None
        started = time.perf_counter()
        try:
            response = session.request(method, url, headers=dict(headers or {}), json=json, params=params,
                                       data=data, files=files, timeout=policy.timeout)
        except requests.Timeout as e:
            errors.append(f"timeout ({type(e).__name__})")
            if not resend_safe and not isinstance(e, requests.ConnectTimeout):
                metrics.external_call(system, "failed", time.perf_counter() - started)
                log.error("%s %s %s: no answer in time; the request may have been acted on, not resent",
                          system, method, url)
                raise ExternalCallError(system, "no answer in time (may have been acted on; not resent)", attempt,
                                        errors, in_doubt=True)
        except requests.ConnectionError as e:
            errors.append(f"connection failed ({type(e).__name__})")
        else:
            with response:
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        outcome = CallOutcome(parse(response), attempt, errors)
                        metrics.external_call(system, "ok", time.perf_counter() - started)
                        return outcome
                    except MalformedResponse as e:
                        errors.append(f"malformed response: {e}")
                    except requests.RequestException as e:  # the body broke off while being read
                        errors.append(f"response read failed ({type(e).__name__})")
                        if not resend_safe:  # a 2xx began: the system acted on it
                            metrics.external_call(system, "failed", time.perf_counter() - started)
                            raise ExternalCallError(system, "answer broke off (may have been acted on; not resent)",
                                                    attempt, errors, in_doubt=True) from None
                elif status == 429 or status >= 500:
                    errors.append(f"HTTP {status}")
                    wait = _retry_after(response) if status == 429 else None
                else:
                    why = None
                    if describe_refusal is not None:
                        try:
                            why = describe_refusal(response)
                        except Exception:  # a refusal's body is the system's, not ours to trust
                            why = None
                    errors.append(f"HTTP {status}: {why}" if why else f"HTTP {status}")
                    metrics.external_call(system, "refused", time.perf_counter() - started)
                    log.error("%s %s %s: HTTP %s, not retried", system, method, url, status)
                    raise ExternalCallError(system, f"refused with HTTP {status}", attempt, errors, status)
        metrics.external_call(system, "retry" if attempt < last else "failed", time.perf_counter() - started)
        if attempt <= policy.retries:
            delay = max(policy.delay(attempt), wait or 0.0)
            log.warning("%s %s %s: attempt %d failed (%s); retrying in %.2fs",
                        system, method, url, attempt, errors[-1], delay)
            sleep(delay)
    log.error("%s %s %s: failed after %d attempt(s): %s", system, method, url, attempts, "; ".join(errors))
    raise ExternalCallError(system, "failed", attempts, errors)


__all__ = ["CallOutcome", "ExternalCallError", "MalformedResponse", "RetryPolicy", "call_with_retry"]
