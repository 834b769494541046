"""REPCCS and CES unqualified-AN list receivers, simulated on loopback (OCMS 10 §3.9).

Each simulator is a small threaded HTTP server answering
``POST /unqualified-an-list`` as the spec shows. Tests (and the demo) tell it
how to misbehave and read back what it received:

    with AnReceiverSimulator("REPCCS", api_key="k") as repccs:   # starts on 127.0.0.1:<free port>
        repccs.fail_next(2)                # the next 2 calls answer HTTP 503
        repccs.time_out_next(1, delay=2)   # the next call answers only after 2 s
        repccs.reject({"500400058A"}, "Unknown notice")   # refused in every answer
        repccs.fail_always()               # every call answers 503 until reset()
        ... repccs.url ... repccs.delivered["500400058A"] ...

The same controls over HTTP, for a demo: ``POST /_control`` with
``{"failNext": 2, "failStatus": 503, "timeoutNext": 1, "delay": 5, "failAlways": true,
"reject": ["500400058A"], "reset": true}``; ``GET /_received`` returns what arrived.

A call with an ``Idempotency-Key`` already answered is answered the same
again without being recorded twice, as a careful receiver would; so
``delivered[notice]`` counts how often a notice really reached the receiver.

Run both standalone: ``python -m simulators.an_receivers --repccs-port 9101 --ces-port 9102``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
import time
from collections import Counter
from typing import Any, Iterable

from werkzeug.wrappers import Request, Response

from simulators.runner import LOOPBACK, ServerThread

PATH = "/unqualified-an-list"


class AnReceiverSimulator:
    """One receiver (REPCCS or CES) of unqualified-AN lists, on a loopback port."""

    def __init__(self, system: str = "REPCCS", api_key: str | None = None, host: str = LOOPBACK, port: int = 0):
        self.system = system
        self.api_key = api_key
        self._lock = threading.Lock()
        self._server = ServerThread(self._wsgi, host, port, name=system)
        self.reset()

    # -- lifecycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL: the client posts to ``url + "/unqualified-an-list"``."""
        return self._server.url

    def start(self) -> "AnReceiverSimulator":
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> "AnReceiverSimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour -----------------------------------------------------------------
    def reset(self) -> None:
        """Answer every call with success again and forget what was received."""
        with self._lock:
            self._fail_next = 0
            self._fail_status = 503
            self._fail_always = False
            self._timeout_next = 0
            self._delay = 0.0
            self._rejected: dict[str, str] = {}
            self._answers: dict[str, dict] = {}
            self.calls: list[dict[str, Any]] = []   # every call: key, count, outcome
            self.batches: list[list[str]] = []       # notice numbers of each list processed
            self.bodies: list[dict] = []             # the JSON body of each list processed
            self.delivered: Counter[str] = Counter()  # notice -> times processed (replays excluded)

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer the next ``n`` calls with HTTP ``status`` (nothing is recorded)."""
        with self._lock:
            self._fail_next, self._fail_status = n, status

    def fail_always(self, status: int = 503) -> None:
        """Answer every call with HTTP ``status`` until :meth:`reset`."""
        with self._lock:
            self._fail_always, self._fail_status = True, status

    def time_out_next(self, n: int, delay: float) -> None:
        """Hold the next ``n`` calls ``delay`` seconds before processing and answering them."""
        with self._lock:
            self._timeout_next, self._delay = n, delay

    def reject(self, notice_nos: Iterable[str], reason: str = "Rejected by receiver") -> None:
        """Refuse these notices in every answer (``rejectedNotices``)."""
        with self._lock:
            self._rejected.update({n: reason for n in notice_nos})

    @property
    def accepted(self) -> set[str]:
        """Every notice accepted so far."""
        with self._lock:
            return {n for n in self.delivered if n not in self._rejected}

    # -- HTTP ----------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path == "/_control" and request.method == "POST":
            response = self._control(request.get_json(silent=True) or {})
        elif request.path == "/_received" and request.method == "GET":
            with self._lock:
                response = _json({"system": self.system, "calls": self.calls, "delivered": dict(self.delivered)})
        elif request.path == PATH and request.method == "POST":
            response = self._receive(request)
        else:
            response = _json({"status": "failed", "error": "not found"}, 404)
        return response(environ, start_response)

    def _control(self, body: dict) -> Response:
        if body.get("reset"):
            self.reset()
        if "failNext" in body:
            self.fail_next(int(body["failNext"]), int(body.get("failStatus", 503)))
        if body.get("failAlways"):
            self.fail_always(int(body.get("failStatus", 503)))
        if "timeoutNext" in body:
            self.time_out_next(int(body["timeoutNext"]), float(body.get("delay", 65)))
        if body.get("reject"):
            self.reject(body["reject"], body.get("reason", "Rejected by receiver"))
        return _json({"status": "ok"})

    def _receive(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            if self.api_key and request.headers.get("API-Key") != self.api_key:
                self.calls.append({"key": key, "count": 0, "outcome": "401"})
                return _json({"status": "failed", "error": "invalid API-Key"}, 401)
            if self._fail_always or self._fail_next > 0:
                self._fail_next = max(self._fail_next - 1, 0)
                self.calls.append({"key": key, "count": 0, "outcome": str(self._fail_status)})
                return _json({"status": "failed", "error": "unavailable"}, self._fail_status)
            delay = 0.0
            if self._timeout_next > 0:
                self._timeout_next -= 1
                delay = self._delay
        if delay:
            time.sleep(delay)  # processed late: the caller has given up and will retry
        body = request.get_json(silent=True)
        notices = body.get("unqualifiedNotices") if isinstance(body, dict) else None
        if not isinstance(notices, list) or not all(isinstance(n, dict) and n.get("noticeNo") for n in notices):
            return _json({"status": "failed", "error": "unqualifiedNotices must list notices with noticeNo"}, 400)
        with self._lock:
            if key and key in self._answers:
                self.calls.append({"key": key, "count": len(notices), "outcome": "replay"})
                return _json(self._answers[key])
            nos = [n["noticeNo"] for n in notices]
            rejected = [{"noticeNo": n, "reason": self._rejected[n]} for n in nos if n in self._rejected]
            answer = {"status": "success", "receivedCount": len(nos) - len(rejected),
                      "timestamp": dt.datetime.now().replace(microsecond=0).isoformat()}
            if rejected:
                answer["rejectedNotices"] = rejected
            self.batches.append(nos)
            self.bodies.append(body)
            self.delivered.update(nos)
            self.calls.append({"key": key, "count": len(nos), "outcome": "late" if delay else "ok"})
            if key:
                self._answers[key] = answer
            return _json(answer)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def main(argv: list[str] | None = None) -> int:
    """Serve a REPCCS and a CES receiver until interrupted."""
    p = argparse.ArgumentParser(description="REPCCS/CES unqualified-AN list receivers on loopback")
    p.add_argument("--host", default=LOOPBACK)
    p.add_argument("--repccs-port", type=int, default=9101)
    p.add_argument("--ces-port", type=int, default=9102)
    p.add_argument("--api-key", help="API-Key both receivers require (default: none checked)")
    args = p.parse_args(argv)
    sims = [AnReceiverSimulator("REPCCS", args.api_key, args.host, args.repccs_port).start(),
            AnReceiverSimulator("CES", args.api_key, args.host, args.ces_port).start()]
    for s in sims:
        print(f"{s.system} receiver on {s.url}{PATH}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for s in sims:
            s.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
