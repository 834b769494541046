"""A JSON API on loopback that can be told to misbehave: the base of the external-system stand-ins.

    class Lta(FaultyJsonApi):
        NAME = "LTA"
        def routes(self):
            return {("GET", "/vehicle/owner"): self._owner}
        def _owner(self, request):
            return 200, {...}                      # or (404, {...})

    with Lta(api_key="k") as lta:                  # 127.0.0.1:<free port>
        lta.fail_next(2)                           # the next 2 calls answer HTTP 500
        lta.fail_next(1, status=404)               # ... or any status
        lta.time_out_next(1, delay=2)              # the next call answers only after 2 s
        lta.malformed_next(1, "html")              # 200 with an HTML error page (also not_json, shape, wrong_type)
        lta.empty_next(1)                          # 200 with {}
        lta.fail_always()                          # every call answers 500 until reset()
        ... lta.url ... lta.calls ... lta.call_count ...

The same controls over HTTP, for a demo: ``POST /_control`` with ``{"reset": true,
"failNext": 2, "failStatus": 500, "failAlways": true, "timeoutNext": 1, "delay": 5,
"malformedNext": 1, "malformedKind": "html", "emptyNext": 1}`` plus what a subclass
adds (:meth:`FaultyJsonApi.control`); ``GET /_calls`` lists the calls received.
A call without the right ``API-Key`` (when one is set) answers 401. Faults apply
to the API's routes only, in the order fail → time out → malformed → empty.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from .runner import LOOPBACK, ServerThread

MALFORMED_KINDS = ("not_json", "html", "shape", "wrong_type")
Handler = Callable[[Request], tuple[int, Any]]


class FaultyJsonApi:
    """A small JSON API served in a thread, with fault injection and a record of its calls."""

    NAME = "API"
    KEY_HEADER = "API-Key"

    def __init__(self, api_key: str | None = None, host: str = LOOPBACK, port: int = 0):
        self.api_key = api_key
        self._lock = threading.Lock()
        self._released = threading.Event()   # set on stop(): a held ("timing out") call ends at once
        self.reset()
        self._routes = self.routes()
        self._server = ServerThread(self._wsgi, host, port, name=self.NAME)

    # -- what a subclass provides ------------------------------------------------------
    def routes(self) -> dict[tuple[str, str], Handler]:
        """``{(method, path): handler}``; a handler returns ``(status, JSON-able body)``."""
        return {}

    def control(self, body: dict) -> None:
        """Apply the subclass's own ``/_control`` keys (raise ValueError/TypeError for bad ones)."""

    def reset_data(self) -> None:
        """Forget the subclass's overrides (called by :meth:`reset`)."""

    # -- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL (what ``OCMS_<SYSTEM>_URL`` is set to)."""
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    def start(self):
        self._released.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour ---------------------------------------------------------------------
    def reset(self) -> None:
        """Answer every call properly again, forget the calls received and the data overrides."""
        with self._lock:
            self._fail_next, self._fail_status, self._fail_always = 0, 500, False
            self._timeout_next, self._delay = 0, 0.0
            self._malformed_next, self._malformed_kind = 0, "not_json"
            self._empty_next = 0
            self.calls: list[dict[str, Any]] = []
        self.reset_data()

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` calls with HTTP ``status`` (5xx, 404, 429 …)."""
        with self._lock:
            self._fail_next, self._fail_status = int(n), int(status)

    def fail_always(self, status: int = 500) -> None:
        """Answer every call with HTTP ``status`` until :meth:`reset`."""
        with self._lock:
            self._fail_always, self._fail_status = True, int(status)

    def time_out_next(self, n: int, delay: float) -> None:
        """Hold the next ``n`` calls ``delay`` seconds before answering (longer than the client's timeout)."""
        with self._lock:
            self._timeout_next, self._delay = int(n), float(delay)

    def malformed_next(self, n: int, kind: str = "not_json") -> None:
        """Answer the next ``n`` calls with HTTP 200 and a malformed body of ``kind`` (:data:`MALFORMED_KINDS`)."""
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"malformed kind must be one of {', '.join(MALFORMED_KINDS)}")
        with self._lock:
            self._malformed_next, self._malformed_kind = int(n), kind

    def empty_next(self, n: int) -> None:
        """Answer the next ``n`` calls with HTTP 200 and ``{}``."""
        with self._lock:
            self._empty_next = int(n)

    @property
    def call_count(self) -> int:
        """Calls of the API received (refused and failed ones included)."""
        with self._lock:
            return len(self.calls)

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        """The calls received on ``path``."""
        with self._lock:
            return [c for c in self.calls if c["path"] == path]

    # -- HTTP ----------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        handler = self._routes.get((request.method, request.path))
        if handler is not None:
            response = self._serve(request, handler)
        elif request.path == "/_control" and request.method == "POST":
            response = self._control(request.get_json(silent=True) or {})
        elif request.path == "/_calls" and request.method == "GET":
            with self._lock:
                response = _json({"callCount": len(self.calls), "calls": self.calls})
        else:
            response = _json({"error": "not found"}, 404)
        return response(environ, start_response)

    def _control(self, body: dict) -> Response:
        try:
            if body.get("reset"):
                self.reset()
            if "failNext" in body:
                self.fail_next(body["failNext"], body.get("failStatus", 500))
            if body.get("failAlways"):
                self.fail_always(body.get("failStatus", 500))
            if "timeoutNext" in body:
                self.time_out_next(body["timeoutNext"], body.get("delay", 65))
            if "malformedNext" in body:
                self.malformed_next(body["malformedNext"], body.get("malformedKind", "not_json"))
            if "emptyNext" in body:
                self.empty_next(body["emptyNext"])
            self.control(body)
        except (TypeError, ValueError, KeyError) as e:
            return _json({"status": "failed", "error": str(e)}, 400)
        return _json({"status": "ok"})

    def _serve(self, request: Request, handler: Handler) -> Response:
        call = {"method": request.method, "path": request.path, "args": dict(request.args),
                "json": request.get_json(silent=True) if request.mimetype == "application/json" else None}
        with self._lock:
            self.calls.append(call)
            if self.api_key and request.headers.get(self.KEY_HEADER) != self.api_key:
                call["outcome"] = "401"
                return _json({"error": "invalid API key"}, 401)
            if self._fail_always or self._fail_next > 0:
                self._fail_next = max(self._fail_next - 1, 0)
                call["outcome"] = str(self._fail_status)
                return _json({"error": f"{self.NAME} unavailable"}, self._fail_status)
            delay = 0.0
            if self._timeout_next > 0:
                self._timeout_next -= 1
                delay = self._delay
            malformed = None
            if self._malformed_next > 0:
                self._malformed_next -= 1
                malformed = self._malformed_kind
            empty = False
            if not malformed and self._empty_next > 0:
                self._empty_next -= 1
                empty = True
            call["outcome"] = "late" if delay else (f"malformed:{malformed}" if malformed else
                                                     ("empty" if empty else "ok"))
        if delay:
            self._released.wait(delay)  # the caller has given up by now
        if empty:
            return _json({})
        status, body = handler(request)
        if malformed and status < 300:
            return _malformed(malformed, body)
        if status >= 300:
            call["outcome"] = str(status)
        return _json(body, status)


def _malformed(kind: str, body: Any) -> Response:
    if kind == "not_json":
        return Response(json.dumps(body).encode()[:-3], status=200, mimetype="application/json")
    if kind == "html":
        return Response(b"<html><body><h1>502 Bad Gateway</h1></body></html>", status=200, mimetype="text/html")
    if kind == "shape":
        return _json([body])
    wrong = {k: 12345 for k in body} if isinstance(body, dict) else 12345   # wrong_type
    return _json(wrong)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


__all__ = ["FaultyJsonApi", "MALFORMED_KINDS"]
