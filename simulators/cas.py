"""CAS behind APIM, simulated on loopback: CAS API 3 ``POST /v1/cas/refreshVIPVehicle``.

    with CasSimulator(apim_key="k", vehicles=150) as cas:   # 127.0.0.1:<free port>
        cas.fail_next(2)                  # the next 2 calls answer HTTP 500
        cas.time_out_next(1, delay=2)     # the next call answers only after 2 s
        cas.malformed_next(1, "count")    # the next call answers a wrong totalCount
        cas.fail_always()                 # every call answers 500 until reset()
        cas.set_vehicles([{"vehicleNo": "SBA1234A", "description": "VIP", "status": "ACTIVE",
                           "vipLabelStatus": "VALID", "labelExpiryDate": "2026-12-31"}])
        ... cas.url ... cas.call_count ... cas.calls ...

The same controls over HTTP, for a demo: ``POST /_control`` with
``{"reset": true, "vehicles": 500 | [...], "failNext": 2, "failStatus": 500,
"failAlways": true, "timeoutNext": 1, "delay": 5, "malformedNext": 1,
"malformedKind": "count"}``; ``GET /_calls`` returns the calls received.

A call without the right ``Ocp-Apim-Subscription-Key`` (when a key is set)
answers 401 as APIM would. Malformed kinds: ``not_json`` (a body cut short),
``count`` (totalCount one more than the list), ``duplicate`` (a vehicle twice),
``long`` (a vehicleNo of 15 characters), ``shape`` (no ``data`` list), ``date``
(a labelExpiryDate that is not yyyy-MM-dd).
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any, Iterable

from werkzeug.wrappers import Request, Response

from simulators.runner import LOOPBACK, ServerThread

PATH = "/v1/cas/refreshVIPVehicle"
APIM_KEY_HEADER = "Ocp-Apim-Subscription-Key"
DEFAULT_PORT = 8701
MALFORMED_KINDS = ("not_json", "count", "duplicate", "long", "shape", "date")


def generate_vehicles(n: int, prefix: str = "VIP") -> list[dict[str, Any]]:
    """``n`` distinct VIP vehicles: VIP0000001A, VIP0000002A ... (12 characters), one in ten INACTIVE, labels
    valid for a year from 2026-01-01 spread over the year (one in seven EXPIRED at 2025-12-31)."""
    out = []
    for i in range(1, n + 1):
        expired = i % 7 == 0
        out.append({"vehicleNo": f"{prefix}{i:07d}A", "description": f"VIP vehicle {i}",
                    "status": "ACTIVE" if i % 10 else "INACTIVE", "vipLabelStatus": "EXPIRED" if expired else "VALID",
                    "labelExpiryDate": "2025-12-31" if expired else
                    (dt.date(2026, 1, 1) + dt.timedelta(days=i % 365)).isoformat()})
    return out


class CasSimulator:
    """The CAS VIP-vehicle API on a loopback port, told how to misbehave, counting its calls."""

    def __init__(self, apim_key: str | None = None, vehicles: int | Iterable[dict] = 0,
                 host: str = LOOPBACK, port: int = 0):
        self.apim_key = apim_key
        self._lock = threading.Lock()
        self._released = threading.Event()   # set on stop(): a held ("timing out") call ends at once
        self._vehicles: list[dict[str, Any]] = []
        self._body = b""
        self.reset()
        self.set_vehicles(vehicles)
        self._server = ServerThread(self._wsgi, host, port, name="CAS")

    # -- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL: the client posts to ``url + "/v1/cas/refreshVIPVehicle"`` (OCMS_CAS_URL)."""
        return self._server.url

    def start(self) -> "CasSimulator":
        self._released.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.stop()

    def __enter__(self) -> "CasSimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour ---------------------------------------------------------------------
    def reset(self) -> None:
        """Answer every call properly again and forget the calls received (the list is kept)."""
        with self._lock:
            self._fail_next, self._fail_status, self._fail_always = 0, 500, False
            self._timeout_next, self._delay = 0, 0.0
            self._malformed_next, self._malformed_kind = 0, "count"
            self.calls: list[dict[str, Any]] = []

    def set_vehicles(self, vehicles: int | Iterable[dict]) -> None:
        """Serve ``vehicles`` (a list) or ``n`` generated ones from now on."""
        items = generate_vehicles(vehicles) if isinstance(vehicles, int) else [dict(v) for v in vehicles]
        body = json.dumps({"data": items, "totalCount": len(items)}, separators=(",", ":")).encode()
        with self._lock:
            self._vehicles, self._body = items, body   # encoded once: a 100,000-row answer is served as bytes

    @property
    def vehicles(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._vehicles)

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` calls with HTTP ``status``."""
        with self._lock:
            self._fail_next, self._fail_status = n, status

    def fail_always(self, status: int = 500) -> None:
        """Answer every call with HTTP ``status`` until :meth:`reset`."""
        with self._lock:
            self._fail_always, self._fail_status = True, status

    def time_out_next(self, n: int, delay: float) -> None:
        """Hold the next ``n`` calls ``delay`` seconds before answering (longer than the client's timeout)."""
        with self._lock:
            self._timeout_next, self._delay = n, delay

    def malformed_next(self, n: int, kind: str = "count") -> None:
        """Answer the next ``n`` calls with HTTP 200 and a malformed body of ``kind``."""
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"malformed kind must be one of {', '.join(MALFORMED_KINDS)}")
        with self._lock:
            self._malformed_next, self._malformed_kind = n, kind

    @property
    def call_count(self) -> int:
        """Calls of the VIP API received (refused ones included)."""
        with self._lock:
            return len(self.calls)

    # -- HTTP ----------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path == PATH and request.method == "POST":
            response = self._refresh(request)
        elif request.path == "/_control" and request.method == "POST":
            response = self._control(request.get_json(silent=True) or {})
        elif request.path == "/_calls" and request.method == "GET":
            with self._lock:
                response = _json({"callCount": len(self.calls), "calls": self.calls,
                                  "vehicles": len(self._vehicles)})
        else:
            response = _json({"error": "not found"}, 404)
        return response(environ, start_response)

    def _control(self, body: dict) -> Response:
        try:
            if body.get("reset"):
                self.reset()
            if "vehicles" in body:
                self.set_vehicles(body["vehicles"])
            if "failNext" in body:
                self.fail_next(int(body["failNext"]), int(body.get("failStatus", 500)))
            if body.get("failAlways"):
                self.fail_always(int(body.get("failStatus", 500)))
            if "timeoutNext" in body:
                self.time_out_next(int(body["timeoutNext"]), float(body.get("delay", 65)))
            if "malformedNext" in body:
                self.malformed_next(int(body["malformedNext"]), body.get("malformedKind", "count"))
        except (TypeError, ValueError) as e:
            return _json({"status": "failed", "error": str(e)}, 400)
        return _json({"status": "ok"})

    def _refresh(self, request: Request) -> Response:
        with self._lock:
            if self.apim_key and request.headers.get(APIM_KEY_HEADER) != self.apim_key:
                self.calls.append({"outcome": "401"})
                return _json({"statusCode": 401, "message": "Access denied due to invalid subscription key."}, 401)
            if self._fail_always or self._fail_next > 0:
                self._fail_next = max(self._fail_next - 1, 0)
                self.calls.append({"outcome": str(self._fail_status)})
                return _json({"error": "CAS unavailable"}, self._fail_status)
            delay = 0.0
            if self._timeout_next > 0:
                self._timeout_next -= 1
                delay = self._delay
            malformed = None
            if self._malformed_next > 0:
                self._malformed_next -= 1
                malformed = self._malformed_kind
            self.calls.append({"outcome": "late" if delay else (f"malformed:{malformed}" if malformed else "ok")})
            body, items = self._body, self._vehicles
        if delay:
            self._released.wait(delay)  # the caller has given up by now
        if malformed:
            return Response(_malformed(malformed, items), status=200, mimetype="application/json")
        return Response(body, status=200, mimetype="application/json")


def _malformed(kind: str, items: list[dict]) -> bytes:
    items = items or generate_vehicles(2)
    if kind == "not_json":
        return json.dumps({"data": items, "totalCount": len(items)}).encode()[:-7]
    if kind == "count":
        return json.dumps({"data": items, "totalCount": len(items) + 1}).encode()
    if kind == "duplicate":
        return json.dumps({"data": items + items[:1], "totalCount": len(items) + 1}).encode()
    if kind == "long":
        bad = [{**items[0], "vehicleNo": "L" * 15}] + items[1:]
        return json.dumps({"data": bad, "totalCount": len(bad)}).encode()
    if kind == "date":
        bad = [{**items[0], "labelExpiryDate": "31/12/2026"}] + items[1:]
        return json.dumps({"data": bad, "totalCount": len(bad)}).encode()
    return json.dumps({"vehicles": items}).encode()   # shape


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


__all__ = ["CasSimulator", "DEFAULT_PORT", "MALFORMED_KINDS", "PATH", "generate_vehicles"]
