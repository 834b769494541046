"""What the JSON-over-HTTP clients of LTA, DataHive, MHA (and the like) share.

Each system is a base URL and an ``API-Key`` header (OCMS 10 §3.4: "API-Key:
[from Azure Key Vault]" — here a setting, DESIGN.md §10), called with
:func:`api.clients.http.call_with_retry`: timeouts, retries with exponential
backoff on connection errors, timeouts, 429/5xx and malformed answers.

* :class:`NotConfigured` — the system's URL setting is empty: no call is made.
* :class:`RecordNotFound` — HTTP 404: the system does not know the vehicle or
  person (final at once, never retried).
* :class:`~api.clients.http.ExternalCallError` — any other failure, after the retries.

* :class:`CircuitOpen` — the run's :class:`Breaker` has given up on the system:
  no call is made (see below).

**Early give-up per job run** (OCMS 14 tab 9: "MHA unavailable → proceed
without update → retry in next batch"): a client may carry a :class:`Breaker`,
one per job run. After a call fails for good (its retries spent) the next calls
get no retries (one attempt each), and after ``threshold`` consecutive failures
the breaker opens: every further call of the run raises :class:`CircuitOpen` at
once, so a system that is down costs one retried call and a few single
attempts, not retries-with-backoff per notice. Any success closes it again. A
404 (:class:`RecordNotFound`) is an answer, not a failure. Kept here, a few
lines over the retry loop, rather than a library: pybreaker's breakers are
process-wide and time-based (reset after a timeout), while a job run wants a
breaker that lives exactly as long as the run and gives up on the system for
the rest of it.

An answer that is not a JSON object (an HTML error page, a body cut short) or
whose fields have the wrong type or length is :class:`MalformedResponse`: a
failed attempt, retried like a 5xx. The key is never logged or shown in reprs.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Any, Callable, Mapping

import requests

from .http import CallOutcome, ExternalCallError, MalformedResponse, RetryPolicy, call_with_retry

KEY_HEADER = "API-Key"
#: OCMS 10 §3.4: 30 seconds per call to LTA, DataHive and MHA.
DEFAULT_TIMEOUT = 30.0


class NotConfigured(ExternalCallError):
    """The system's URL is not set: no call was made."""

    def __init__(self, system: str, setting: str) -> None:
        super().__init__(system, f"not configured (set {setting})", 0, [f"{setting} is not set"])


class RecordNotFound(ExternalCallError):
    """The system answered 404: it has no record of the vehicle or person asked about."""


class CircuitOpen(ExternalCallError):
    """The run's breaker gave up on the system after consecutive failures: no call was made."""

    def __init__(self, system: str, failures: int) -> None:
        super().__init__(system, f"not called: {failures} consecutive failure(s) in this run, given up until the next run",
                         0, [f"circuit open after {failures} consecutive failure(s)"])


class Breaker:
    """Consecutive failures of one system in one job run (module doc): fewer retries, then no calls at all."""

    def __init__(self, system: str, threshold: int = 3) -> None:
        self.system, self.threshold = system, max(int(threshold), 1)
        self.failures = 0     # consecutive failed calls
        self.skipped = 0      # calls refused while open

    @property
    def open(self) -> bool:
        return self.failures >= self.threshold

    @property
    def degraded(self) -> bool:
        """A call has failed for good and none succeeded since: try once, no retries."""
        return self.failures > 0

    def before_call(self) -> None:
        if self.open:
            self.skipped += 1
            raise CircuitOpen(self.system, self.failures)

    def succeeded(self) -> None:
        self.failures = 0

    def failed(self) -> None:
        self.failures += 1


def json_object(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object; MalformedResponse for anything else (HTML pages, lists, cut-off bodies)."""
    try:
        body = response.json()
    except ValueError as e:  # requests' JSONDecodeError is a ValueError
        raise MalformedResponse(f"not JSON ({e.__class__.__name__})") from None
    if not isinstance(body, dict):
        raise MalformedResponse(f"expected a JSON object, got {type(body).__name__}")
    return body


def refusal_reason(response: requests.Response) -> str | None:
    """The ``message`` / ``reason`` / ``error`` text of a refusal's JSON body, printable, at most 200 characters."""
    body = response.json()
    if not isinstance(body, dict):
        return None
    for name in ("message", "reason", "error"):
        value = body.get(name)
        if isinstance(value, str) and value.strip():
            return "".join(ch for ch in value.strip() if ch.isprintable())[:200]
    return None


def text(body: Mapping[str, Any], name: str, max_len: int, required: bool = False) -> str | None:
    """Field ``name`` as stripped text of at most ``max_len`` characters (None if absent, null or blank)."""
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise MalformedResponse(f"{name!r} is missing")
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{name!r} must be text, got {type(value).__name__}")
    value = value.strip()
    if len(value) > max_len or "\x00" in value:
        raise MalformedResponse(f"{name!r} is longer than {max_len} characters or holds a NUL")
    return value


def flag(body: Mapping[str, Any], name: str) -> bool | None:
    """Field ``name`` as a JSON boolean (None if absent or null)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise MalformedResponse(f"{name!r} must be true or false, got {type(value).__name__}")
    return value


def iso_date(body: Mapping[str, Any], name: str) -> dt.date | None:
    """Field ``name`` as a ``yyyy-MM-dd`` date (None if absent or null)."""
    raw = text(body, name, 10)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise MalformedResponse(f"{name!r} is not a yyyy-MM-dd date") from None


class JsonApiClient:
    """One external JSON API: base URL, ``API-Key``, retry policy, one ``requests.Session``.

    Subclasses set :attr:`SYSTEM` (the name in logs and errors) and the names
    of their settings; :meth:`from_config` reads them from the app config.
    """

    SYSTEM = "EXTERNAL"
    URL_SETTING = ""
    KEY_SETTING = ""
    TIMEOUT_SETTING = ""

    def __init__(self, base_url: str | None, api_key: str | None = None, policy: RetryPolicy | None = None,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 breaker: Breaker | None = None):
        self.base_url = (base_url or "").rstrip("/")
        self._api_key = api_key
        self.policy = policy or RetryPolicy(timeout=DEFAULT_TIMEOUT)
        self.session = session or requests.Session()
        self._sleep = sleep
        self.breaker = breaker

    @classmethod
    def from_config(cls, config: Mapping[str, Any], policy: RetryPolicy | None = None, **kwargs):
        """The client the app config describes (``OCMS_<SYSTEM>_URL``, ``_API_KEY``, ``_TIMEOUT``, ``OCMS_HTTP_*``)."""
        if policy is None:
            policy = RetryPolicy(retries=int(config.get("OCMS_HTTP_RETRIES", 3)),
                                 backoff=float(config.get("OCMS_HTTP_BACKOFF", 2.0)),
                                 timeout=config.get(cls.TIMEOUT_SETTING) or DEFAULT_TIMEOUT)
        return cls(config.get(cls.URL_SETTING), config.get(cls.KEY_SETTING), policy, **kwargs)

    def with_policy(self, policy: RetryPolicy):
        """The same client (session shared) with another retry policy, e.g. one a ruleset gives."""
        return type(self)(self.base_url, self._api_key, policy, self.session, self._sleep, self.breaker)

    def with_breaker(self, threshold: int) -> "JsonApiClient":
        """This client with a fresh :class:`Breaker` (one per job run) giving up after ``threshold`` failures."""
        self.breaker = Breaker(self.SYSTEM, threshold)
        return self

    def __repr__(self) -> str:  # no key in reprs, tracebacks or logs
        return f"{type(self).__name__}({self.base_url!r}, retries={self.policy.retries})"

    def get(self, path: str, params: Mapping[str, str], parse: Callable[[requests.Response], Any]) -> CallOutcome:
        """GET ``path?params`` with the retry policy; raise NotConfigured, RecordNotFound or ExternalCallError."""
        if not self.base_url:
            raise NotConfigured(self.SYSTEM, self.URL_SETTING)
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers[KEY_HEADER] = self._api_key
        breaker, policy = self.breaker, self.policy
        if breaker is not None:
            breaker.before_call()
            if breaker.degraded:
                policy = RetryPolicy(retries=0, backoff=policy.backoff, timeout=policy.timeout)
        try:
            outcome = call_with_retry(self.session, "GET", self.base_url + path, policy, parse, system=self.SYSTEM,
                                      headers=headers, params=params, sleep=self._sleep)
        except ExternalCallError as e:
            if e.status == 404:
                if breaker is not None:
                    breaker.succeeded()   # the system answered
                raise RecordNotFound(self.SYSTEM, "no record (HTTP 404)", e.attempts, e.errors, 404) from None
            if breaker is not None:
                breaker.failed()
            raise
        if breaker is not None:
            breaker.succeeded()
        return outcome

    def post(self, path: str, parse: Callable[[requests.Response], Any], json: Any = None,
             data: Mapping[str, str] | None = None, files: Mapping[str, tuple] | None = None,
             describe_refusal: Callable[[requests.Response], str | None] | None = None,
             resend_safe: bool = True) -> CallOutcome:
        """POST ``path`` (a JSON body, or ``data`` + ``files`` as multipart) with the retry policy; errors as :meth:`get`.

        A final 4xx other than 404 is :class:`~api.clients.http.ExternalCallError` with ``.status`` set (e.g.
        SLIFT refusing a letter).
        """
        if not self.base_url:
            raise NotConfigured(self.SYSTEM, self.URL_SETTING)
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers[KEY_HEADER] = self._api_key
        try:
            return call_with_retry(self.session, "POST", self.base_url + path, self.policy, parse, system=self.SYSTEM,
                                   headers=headers, json=json, data=data, files=files, sleep=self._sleep,
                                   describe_refusal=describe_refusal, resend_safe=resend_safe)
        except ExternalCallError as e:
            if e.status == 404:
                raise RecordNotFound(self.SYSTEM, "no such endpoint (HTTP 404)", e.attempts, e.errors, 404) from None
            raise

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Breaker", "CircuitOpen", "DEFAULT_TIMEOUT", "JsonApiClient", "KEY_HEADER", "NotConfigured", "RecordNotFound",
           "flag", "iso_date", "json_object", "refusal_reason", "text"]
