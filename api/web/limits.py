"""The service's edge: what every request must pass before a view sees it (DESIGN.md §8).

:func:`init_limits` installs, once for the whole app and in this order after
the request id:

1. **Credentials** (:func:`api.web.auth.check_credentials`): a protected view
   answers 401 OCMS-4001 before its body or query string is read.
2. **Body size**: a body over ``OCMS_MAX_CONTENT_LENGTH`` bytes (default
   :data:`DEFAULT_MAX_CONTENT_LENGTH`, Flask's ``MAX_CONTENT_LENGTH``) is 413
   OCMS-4013 before it is read: at once when ``Content-Length`` says so; a
   chunked body (no ``Content-Length``) is read here up to the limit, refused
   as soon as it passes it, and otherwise handed on as an ordinary body of
   known length.
3. **Query string and path**: every query parameter (name and value) and path
   part is text without NUL/control characters or unpaired surrogates and at
   most :data:`MAX_QUERY_VALUE_LENGTH` characters; else 400 OCMS-4000 naming it.

Bodies are checked by the JSON layer itself (:func:`api.web.json.strict_loads`,
through :class:`OcmsRequest` and the webargs parser): malformed JSON,
duplicate keys, nesting, NUL/control characters and lone surrogates are 400
OCMS-4000 naming the field.
"""
from __future__ import annotations

import io

from flask import Flask, Request, current_app, request

from .auth import check_credentials
from .errors import ApiError, bad_request
from .json import JSONInputError, text_problem

#: Default body limit: a 500-notice CAS API 2 batch is about 250 kB.
DEFAULT_MAX_CONTENT_LENGTH = 4 * 1024 * 1024
#: Longest query-string value (or path part) accepted.
MAX_QUERY_VALUE_LENGTH = 1000


def body_too_large(limit: int) -> ApiError:
    """413 OCMS-4013 for a body over the configured limit."""
    return ApiError(413, "Payload Too Large", [{"field": "body", "message": f"the request body exceeds {limit} bytes"}])


def malformed_json(e: JSONInputError) -> ApiError:
    """400 OCMS-4000 naming where a body was refused by the JSON layer."""
    return bad_request("Malformed JSON", [{"field": e.field, "message": e.message}])


class OcmsRequest(Request):
    """Flask's request, answering the service's envelope when the JSON layer refuses a body."""

    def on_json_loading_failed(self, e: ValueError | None):
        if isinstance(e, JSONInputError):
            raise malformed_json(e)
        return super().on_json_loading_failed(e)


def _check_size() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is None:
        return
    length = request.content_length
    if length is not None:
        if length > limit:
            raise body_too_large(limit)
        return
    environ = request.environ
    if environ.get("wsgi.input_terminated"):  # a chunked body: buffer it, at most ``limit`` bytes
        raw, parts, size = environ["wsgi.input"], [], 0
        while size <= limit:
            part = raw.read(min(65536, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        if size > limit:
            raise body_too_large(limit)
        data = b"".join(parts)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ.pop("wsgi.input_terminated", None)


def _check_text(field: str, value: str) -> None:
    problem = text_problem(value)
    if problem is not None:
        raise bad_request(errors=[{"field": field, "message": f"text {problem}"}])
    if len(value) > MAX_QUERY_VALUE_LENGTH:
        raise bad_request(errors=[{"field": field, "message": f"longer than {MAX_QUERY_VALUE_LENGTH} characters"}])


def _check_query_and_path() -> None:
    if request.routing_exception is not None:
        return
    for name, values in request.args.lists():
        _check_text(name if not text_problem(name) else "query", name)
        for v in values:
            _check_text(name, v)
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            _check_text(name, value)


def init_limits(app: Flask) -> None:
    """Install the request class, the body limit and the edge checks (run after the request id)."""
    app.request_class = OcmsRequest
    limit = app.config.get("OCMS_MAX_CONTENT_LENGTH") or DEFAULT_MAX_CONTENT_LENGTH
    app.config["MAX_CONTENT_LENGTH"] = int(limit)
    hooks = app.before_request_funcs.setdefault(None, [])
    # Right after the request id (installed first), before any other hook may touch the database.
    at = 1 if hooks else 0
    hooks[at:at] = [check_credentials, _check_size, _check_query_and_path]


__all__ = ["DEFAULT_MAX_CONTENT_LENGTH", "MAX_QUERY_VALUE_LENGTH", "OcmsRequest", "body_too_large", "init_limits",
           "malformed_json"]
