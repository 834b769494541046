"""The ``X-Request-ID`` of every request: taken from the caller if sane, else generated."""
from __future__ import annotations

import re
import uuid

from flask import Flask, g, request

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return getattr(g, "request_id", None)


def _assign() -> None:
    given = request.headers.get(HEADER, "")
    # Only echo ids that are safe in logs and fit the decision log column.
    g.request_id = given if _SANE.match(given) else uuid.uuid4().hex


def _stamp(response):
    response.headers[HEADER] = getattr(g, "request_id", None) or uuid.uuid4().hex
    return response


def init_request_id(app: Flask) -> None:
    """Assign the id before anything else runs and echo it on every response (errors included)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _assign)
    app.after_request(_stamp)
