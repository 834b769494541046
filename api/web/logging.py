"""Logs: one JSON line per record (python-json-logger), one per request, never a secret or a particular.

Every line is a JSON object with ``time``, ``level``, ``logger``, ``message``
and the record's extra fields. ``ocms serve`` (workers and the gunicorn
master), ``ocms scheduler`` and ``ocms jobs run`` write them to stderr;
``OCMS_LOG_FORMAT=text`` gives plain lines for a terminal. Each request
answered adds one line (:func:`init_request_log`)::

    {"time": "2026-01-15 08:31:02,114", "level": "INFO", "logger": "api.request", "message": "POST /v1/repccsWebhook 200",
     "event": "request", "request_id": "4f1c…", "caller": "repccs", "endpoint": "/v1/repccsWebhook",
     "method": "POST", "status": 200, "app_code": "OCMS-2000", "duration_ms": 12.4}

and each job step one line (``event: job``, :mod:`api.jobs.runner`). The
request line is built from those fields only: no header, query string or body
is logged. ``caller`` is the calling system (``cas``, ``repccs`` …) or
``staff-portal``; an officer's id is not logged.

As a second guard, every line passes :func:`redact` before it is written:
the configured keys and secrets (``OCMS_API_KEYS``, ``OCMS_JWT_SECRET``, the
keys OCMS sends to CAS/REPCCS/CES/LTA/DataHive/MHA, ``OCMS_METRICS_TOKEN``), anything shaped
like a JWT or a bearer token, and personal particulars by shape (NRIC/FIN
numbers, email addresses, Singapore phone numbers, vehicle numbers, an officer's
``jwt:<sub>`` and the values of fields named vehicleNo, officer, createdBy, sub …
in free text) become ``[REDACTED]``.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Iterable

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

REDACTED = "[REDACTED]"

#: Shapes of secrets and personal particulars that must never reach a log line.
PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),          # a JWT (header.payload.sig)
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),                          # Authorization: Bearer …
    re.compile(r"(?i)(ocp-apim-subscription-key|api-key|authorization)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"),
    re.compile(r"(?<![A-Za-z0-9])[STFGM]\d{7}[A-Z](?![A-Za-z0-9])"),              # NRIC / FIN
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),            # email address
    re.compile(r"(?<![A-Za-z0-9.])(?:\+65[ -]?)?[689]\d{3}[ -]?\d{4}(?![A-Za-z0-9.])"),  # Singapore phone number
    # A Singapore vehicle number (1-3 letters, 1-4 digits, the check letter: SBA1234B, SZZ7001A); stage codes
    # (RD1, RR3) and notice numbers (500500303J, S000000001) are not of this shape.
    re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,3}\d{1,4}[A-Z](?![A-Za-z0-9])"),
    # An officer's id: the Staff Portal caller as the service names it (jwt:<sub>), and named fields in free text.
    re.compile(r"\bjwt:[^\s\"',;)}\]]+"),
    re.compile(r"(?i)(\b(?:vehicle_?no|vehicle_?number|officer(?:_?id)?|created_?by|upd_?user_?id|sub)\b[\"']?"
               r"\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|(?!\[REDACTED\])[^\s\"',;)}\]]+)"),
]
_HEADER_PATTERN = PATTERNS[2]
_FIELD_PATTERN = PATTERNS[-1]

_secrets: list[str] = []


def register_secrets(values: Iterable[str | None]) -> None:
    """Never log these exact strings (keys, secrets); values shorter than 4 characters are ignored."""
    for v in values:
        if v and len(v) >= 4 and v not in _secrets:
            _secrets.append(v)
            escaped = json.dumps(v)[1:-1]
            if escaped != v:
                _secrets.append(escaped)
    _secrets.sort(key=len, reverse=True)


def secrets_of(config: dict) -> list[str]:
    """The secrets named in a service configuration."""
    keys = list((config.get("OCMS_API_KEYS") or {}).values())
    return keys + [config.get(k) for k in ("OCMS_JWT_SECRET", "OCMS_CAS_APIM_KEY", "OCMS_REPCCS_API_KEY",
                                           "OCMS_CES_API_KEY", "OCMS_METRICS_TOKEN", "OCMS_LTA_API_KEY",
                                           "OCMS_DATAHIVE_API_KEY", "OCMS_MHA_API_KEY")]


def redact(text: str) -> str:
    """``text`` with every registered secret and every secret- or particular-shaped string replaced."""
    for s in _secrets:
        if s in text:
            text = text.replace(s, REDACTED)
    for p in PATTERNS:
        if p is _HEADER_PATTERN:
            text = p.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
        elif p is _FIELD_PATTERN:
            text = p.sub(lambda m: m.group(1) + (m.group(2)[0] + REDACTED + m.group(2)[0]
                                                 if m.group(2)[0] in "\"'" else REDACTED), text)
        else:
            text = p.sub(REDACTED, text)
    return text


class JsonLogFormatter(JsonFormatter):
    """python-json-logger's formatter with ``time/level/logger/message`` names and :func:`redact` applied."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__("{asctime}{levelname}{name}{message}", *args, style="{", **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class TextLogFormatter(logging.Formatter):
    """Plain lines for a terminal (``OCMS_LOG_FORMAT=text``), redacted the same way."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_HANDLER_FLAG = "_ocms_handler"


def configure_logging(level: str = "INFO", fmt: str = "json", stream=None) -> logging.Handler:
    """Send every record of the process to ``stream`` (stderr) as JSON (or text) lines; idempotent."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)), None)
    if handler is None:
        handler = logging.StreamHandler(stream or sys.stderr)
        setattr(handler, _HANDLER_FLAG, True)
        root.addHandler(handler)
        # A handler someone set up before us (e.g. basicConfig) would print every line a second time, unredacted.
        for h in list(root.handlers):
            if h is not handler and type(h) is logging.StreamHandler and h.stream in (sys.stderr, sys.stdout):
                root.removeHandler(h)
    handler.setFormatter(TextLogFormatter() if fmt == "text" else JsonLogFormatter())
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for name in ("api", "engine", "repository"):
        logging.getLogger(name).setLevel(level)
    return handler


# ---- one line per request ------------------------------------------------------------------------
request_log = logging.getLogger("api.request")


def caller_system(caller: str | None) -> str | None:
    """The calling system of ``g.caller``: a system name, or ``staff-portal`` for a JWT (no officer id)."""
    if not caller:
        return None
    return "staff-portal" if caller.startswith("jwt:") else caller


def _app_code(status: int) -> str:
    """The app code of an HTTP status (api/web/errors.py ``app_code_for``; not imported: gunicorn's master loads
    this module for its formatter and must not import the engine)."""
    return f"OCMS-{status // 100}{status % 100:03d}"


def _start() -> None:
    g._log_started = time.perf_counter()


def _log(response):
    started = getattr(g, "_log_started", None)
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    fields = {
        "event": "request", "request_id": getattr(g, "request_id", None),
        "caller": caller_system(getattr(g, "caller", None)), "endpoint": endpoint, "method": request.method,
        "status": response.status_code, "app_code": _app_code(response.status_code),
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started is not None else None,
    }
    request_log.info("%s %s %s", request.method, endpoint, response.status_code, extra=fields)
    return response


def init_request_log(app: Flask) -> None:
    """Log one line per request answered (errors included), after the request id is known."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_log)


__all__ = ["JsonLogFormatter", "PATTERNS", "REDACTED", "TextLogFormatter", "caller_system", "configure_logging",
           "init_request_log", "redact", "register_secrets", "secrets_of"]
