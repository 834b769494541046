"""Every error the API returns, mapped in one place to the specs' envelope.

Envelope (DESIGN.md §8)::

    {"data": {"appCode": "OCMS-4000", "message": "Bad Request",
              "errors": [{"field": "computer_rule_code", "message": "expected integer, got str '1'"}]}}

App codes follow the specs' convention that the code echoes the HTTP status
(OCMS-4000/400, OCMS-4001/401, OCMS-4009/409, OCMS-4013/413, OCMS-2026/226,
OCMS-5000/500): :func:`app_code_for` derives it. Codes this service adds by
the same rule:

* OCMS-4003 / 403 — a valid Staff Portal JWT without the role the endpoint
  needs (e.g. no OIC on the review queues), naming the roles. The specs give no
  app code for "forbidden"; the CAS/PLUS spec uses OCMS-4003 for "notice
  already paid", but only per notice inside PLUS API 4's 200 answer, and that
  endpoint takes the PLUS key only (never a JWT), so it never answers 403.
* OCMS-4004 / 404 — unknown ruleset (or unknown URL). The CPS spec also uses
  OCMS-4004 for "CFC not allowed" on its PLUS endpoint; that endpoint never
  answers "not found", so the two cannot meet on one path.
* OCMS-4005 / 405 — method not allowed.
* OCMS-4008 / 408 — the request body stopped arriving (``ocms serve --body-timeout``).
* OCMS-4022 / 422 — a rules reload was refused (every load error listed).
* OCMS-5003 / 503 — not ready (health check); the database busy (a lock or a
  statement past ``OCMS_LOCK_TIMEOUT`` / ``OCMS_STATEMENT_TIMEOUT``, a conflict
  still there after the retries of :func:`api.database.run_in_transaction`) or
  unreachable. Nothing was written; ``Retry-After`` says when to try again.

Internals never leak: an unexpected exception is logged with the request id
and answered OCMS-5000 "Internal Server Error".
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from flask import Flask, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import ClientDisconnected, HTTPException

from engine import EngineDisagreement, FactError, RulesLoadError, UnknownRulesetError
from repository.db import UNAVAILABLE, classify_error

log = logging.getLogger(__name__)

#: Messages the specs give for each status; others use werkzeug's reason phrase.
MESSAGES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 413: "Payload Too Large", 422: "Unprocessable Entity", 500: "Internal Server Error", 503: "Service Unavailable",
}


def app_code_for(status: int) -> str:
    """Return the app code of an HTTP status: 400 → OCMS-4000, 413 → OCMS-4013, 500 → OCMS-5000."""
    return f"OCMS-{status // 100}{status % 100:03d}"


class ApiError(Exception):
    """An error answered with the envelope: HTTP status, app code, message, field errors."""

    def __init__(self, status: int, message: str | None = None, errors: Iterable[dict] | None = None,
                 app_code: str | None = None, headers: dict | None = None, extra: dict | None = None):
        self.status = status
        self.app_code = app_code or app_code_for(status)
        self.message = message or MESSAGES.get(status, "Error")
        self.errors = list(errors or [])
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(f"{self.app_code} {self.message}")

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"appCode": self.app_code, "message": self.message}
        if self.errors:
            data["errors"] = self.errors
        data.update(self.extra)
        return {"data": data}


def bad_request(message: str = "Bad Request", errors: Iterable[dict] | None = None) -> ApiError:
    """OCMS-4000 / 400, naming the offending fields."""
    return ApiError(400, message, errors)


def unauthorized(message: str = "Unauthorized") -> ApiError:
    """OCMS-4001 / 401."""
    return ApiError(401, message)


def forbidden(roles: Iterable[str]) -> ApiError:
    """OCMS-4003 / 403: the caller's valid JWT carries none of ``roles``."""
    roles = list(roles)
    needed = f"role {roles[0]}" if len(roles) == 1 else "one of the roles " + ", ".join(roles)
    return ApiError(403, "Forbidden", [{"field": "roles", "message": f"this endpoint needs a JWT with {needed}"}])


def not_found(message: str = "Not Found", errors: Iterable[dict] | None = None) -> ApiError:
    """OCMS-4004 / 404."""
    return ApiError(404, message, errors)


def payload_too_large(limit: int, got: int, field: str) -> ApiError:
    """OCMS-4013 / 413 for a batch over its limit (500 for CAS APIs 1-2, 10 for PLUS API 4)."""
    return ApiError(413, "Payload Too Large",
                    [{"field": field, "message": f"at most {limit} items per request, got {got}"}])


def check_batch_limit(items: list, limit: int, field: str) -> None:
    """Raise OCMS-4013 if ``items`` has more than ``limit`` entries."""
    if len(items) > limit:
        raise payload_too_large(limit, len(items), field)


def flatten_messages(messages: Any, prefix: str = "") -> list[dict]:
    """Turn marshmallow's nested ``{field: [msg]}`` into ``[{"field": "a.b", "message": msg}]``."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":   # marshmallow's key for an error of the object itself (e.g. not an object)
                name = prefix or "body"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, name))
    elif isinstance(messages, (list, tuple)):
        for m in messages:
            if isinstance(m, (dict, list, tuple)):
                out.extend(flatten_messages(m, prefix))
            else:
                out.append({"field": prefix or "body", "message": str(m)})
    else:
        out.append({"field": prefix or "body", "message": str(messages)})
    return out


def _strip_location(messages: Any) -> Any:
    """webargs nests errors under the location (json, query); callers name fields, not locations."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "headers", "view_args", "files"}:
        merged: dict = {}
        for v in messages.values():
            if isinstance(v, dict):
                merged.update(v)
            else:
                merged.setdefault("body", v)
        return merged
    return messages


class OcmsParser(FlaskParser):
    """webargs parser answering OCMS-4000 / 400 (not 422) for bad input and malformed JSON."""

    DEFAULT_VALIDATION_STATUS = 400

    def handle_error(self, error: ValidationError, req, schema, *, error_status_code, error_headers):
        raise bad_request(errors=flatten_messages(_strip_location(error.messages)))

    def _raw_load_json(self, req):
        """The body through the app's strict JSON layer (:func:`api.web.json.strict_loads`), not bare ``json``."""
        from flask import current_app
        from webargs import core

        from .json import JSONInputError
        data = req.get_data(cache=True)
        if not core.is_json(req.mimetype):
            if data:  # a body the route would ignore: the caller's Content-Type is wrong, not a field
                raise unsupported_media_type()
            return core.missing
        if not data:
            return core.missing
        try:
            return current_app.json.loads(data)
        except JSONInputError as e:
            raise bad_request("Malformed JSON", [{"field": e.field, "message": e.message}]) from None

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise bad_request("Malformed JSON", [{"field": "body", "message": "request body is not valid JSON"}])


def unsupported_media_type() -> ApiError:
    """A JSON route given a body under another (or no) Content-Type: 415 OCMS-4015 naming ``Content-Type``."""
    ct = (request.headers.get("Content-Type") or "").split(";")[0].strip()[:100]
    got = f"got {ct!r}" if ct else "none was given"
    return ApiError(415, "Unsupported Media Type", [{
        "field": "Content-Type", "message": f"send the body as application/json ({got})"}])


def fact_error(e: FactError) -> ApiError:
    """A bad fact is OCMS-4000 naming each fact (the engine's own message)."""
    prefix = f"[{e.index}]." if getattr(e, "index", None) is not None else ""
    errors = []
    for p in e.problems:
        item = {"field": f"{prefix}{p.fact}", "message": p.message}
        if p.expected:
            item["expected"] = p.expected
        errors.append(item)
    return bad_request(f"Invalid facts for ruleset '{e.ruleset}'", errors)


def rules_error_items(errors) -> list[dict]:
    """Located rule errors as envelope items, files named inside the rules directory (no server paths)."""
    from .paths import for_callers, public_path
    return [for_callers({"field": f"{public_path(x.file)}:{x.line}:{x.column}", "message": x.message, **x.to_dict()})
            for x in errors]


def rules_rejected(e: RulesLoadError) -> ApiError:
    """A refused rules reload: OCMS-4022 / 422 listing every located error."""
    return ApiError(422, "Rules rejected; the rules in service are unchanged", rules_error_items(e.errors))


def _respond(err: ApiError):
    resp = jsonify(err.to_dict())
    resp.status_code = err.status
    for k, v in err.headers.items():
        resp.headers[k] = v
    return resp


def handle_http_exception(e: HTTPException):
    """werkzeug's aborts (404 route, 405, 413 body too large ...) in the envelope."""
    if isinstance(e, ClientDisconnected):  # the body ended (or stalled past --body-timeout) before its length
        return handle_body_timeout(e)
    status = e.code or 500
    if status >= 500:
        return handle_unexpected(e)
    data = getattr(e, "data", None) or {}
    message = data.get("message") or MESSAGES.get(status) or e.name
    return _respond(ApiError(status, message, flatten_messages(data["messages"]) if "messages" in data else None))


def handle_unexpected(e: Exception):
    """Log the failure with the request id; answer OCMS-5000 without internals."""
    original = getattr(e, "original_exception", None) or e
    log.error("unhandled error in request %s", getattr(g, "request_id", "-"), exc_info=original)
    return _respond(ApiError(500, "Internal Server Error"))


#: Seconds a caller is asked to wait after a 503 for a busy database.
RETRY_AFTER_SECONDS = 2


def database_busy(kind: str) -> ApiError:
    """503 OCMS-5003: the database is busy or unreachable; nothing was written."""
    message = ("The database is unavailable; nothing was written, please retry" if kind == UNAVAILABLE
               else "The database is busy; nothing was written, please retry")
    return ApiError(503, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_database_error(e: SQLAlchemyError):
    """Lock/statement timeouts, lasting conflicts and an unreachable database are 503; anything else 500."""
    kind = classify_error(e)
    if kind is None:
        return handle_unexpected(e)
    log.warning("database %s in request %s: %s", kind, getattr(g, "request_id", "-"), str(e).splitlines()[0][:300])
    return _respond(database_busy(kind))


def handle_body_timeout(e: Exception):
    """The body stopped arriving (a slow or stalled client, a socket timeout): 408, nothing done, connection closed."""
    log.info("request %s: body not received in time", getattr(g, "request_id", "-"))
    resp = _respond(ApiError(408, "Request Timeout", [{"field": "body", "message": "the body did not arrive in time"}]))
    resp.headers["Connection"] = "close"
    return resp


def unknown_ruleset(e: UnknownRulesetError):
    """404 when the caller named the ruleset (``/v1/decisions/<ruleset>``, ``/v1/rulesets/<name>``); else 503.

    A ruleset the code itself evaluates missing from the rules in service is the
    service's fault, not the caller's: 503 OCMS-5003 (nothing was written), logged
    as an error. The names of the loaded rulesets are never shown to a caller.
    """
    named = {str(v) for k, v in (request.view_args or {}).items() if k in ("ruleset", "name")}
    if e.name in named:
        message = f"unknown ruleset {e.name!r}"
        return _respond(not_found(message, [{"field": "ruleset", "message": message}]))
    log.error("request %s needs ruleset %r, which the rules in service lack", getattr(g, "request_id", "-"), e.name)
    return _respond(ApiError(503, "Service Unavailable: the rules in service are incomplete; nothing was written",
                             headers={"Retry-After": str(RETRY_AFTER_SECONDS)}))


def engine_disagreement(e: EngineDisagreement):
    """durable_rules and the rules as written disagreed (never cached, counted by the registry): OCMS-5000.

    Logged with the ruleset and facts by the engine; the caller is told nothing
    of it and may retry (the same facts give the same refusal until the rules change).
    """
    log.error("engine disagreement in request %s: %s", getattr(g, "request_id", "-"), e)
    return _respond(ApiError(500, "Internal Server Error"))


def register_error_handlers(app: Flask) -> None:
    """Install the one mapping from error kinds to responses."""
    app.register_error_handler(ApiError, _respond)
    app.register_error_handler(FactError, lambda e: _respond(fact_error(e)))
    app.register_error_handler(UnknownRulesetError, unknown_ruleset)
    app.register_error_handler(RulesLoadError, lambda e: _respond(rules_rejected(e)))
    app.register_error_handler(EngineDisagreement, engine_disagreement)
    app.register_error_handler(ValidationError, lambda e: _respond(bad_request(errors=flatten_messages(e.messages))))
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    app.register_error_handler(TimeoutError, handle_body_timeout)
    app.register_error_handler(Exception, handle_unexpected)
