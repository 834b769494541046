"""``ocms serve``: the app under gunicorn, created in each worker after the fork.

The master never builds the app, so no database engine and no durable_rules
ruleset exists before the fork; each worker loads the published rules version
itself and starts its follower thread, which follows new generations and shadow
runs and writes the worker's heartbeat (api/decisions/service.py).

Worker model (README "Limits and timeouts"): :class:`OcmsWorker`, gunicorn's
threaded worker (``gthread``, ``--threads`` per worker, default
:data:`DEFAULT_THREADS`). A slow client holds one thread, never a whole
worker: gunicorn waits for a new connection's first bytes in its main loop,
and a body that stops arriving is given up after ``--body-timeout`` seconds
(408 OCMS-4008). The main loop keeps telling the master the worker is alive
while threads wait, so a long database wait no longer gets workers killed
(and the database's own timeouts, below the worker timeout, end the wait
first). Many slow clients at once can still take every thread: in
production run behind a buffering proxy (nginx, APIM) that sends complete
requests only.

Gunicorn's own error answers (a bad request line, headers too large, a
request the server cannot parse) are the service's envelope in JSON, never
gunicorn's HTML page: :func:`write_envelope_error`.
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

DEFAULT_THREADS = 4
DEFAULT_BODY_TIMEOUT = 10.0
#: Messages of the statuses gunicorn answers itself (its reason phrases).
_REASONS = {400: "Bad Request", 403: "Forbidden", 408: "Request Timeout", 414: "URI Too Long", 417: "Expectation Failed",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented"}


def write_envelope_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Answer an error gunicorn found itself with the envelope ``{"data": {"appCode", "message"}}`` (JSON).

    The details gunicorn has (``mesg``) may quote the caller's bytes; they go to
    gunicorn's log, not into the answer.
    """
    from api.web.errors import app_code_for
    body = json.dumps({"data": {"appCode": app_code_for(status_int),
                                "message": _REASONS.get(status_int, reason)}}).encode()
    head = (f"HTTP/1.1 {status_int} {_REASONS.get(status_int, reason)}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


class OcmsWorker(ThreadWorker):
    """gunicorn's threaded worker with the envelope for its own errors and a bound on slow bodies."""

    body_timeout = DEFAULT_BODY_TIMEOUT

    def init_process(self):
        # gunicorn writes its error pages through util.write_error (workers/base.py); in this worker
        # process every such answer is the envelope instead.
        util.write_error = write_envelope_error
        self.body_timeout = float(getattr(self.app, "body_timeout", DEFAULT_BODY_TIMEOUT) or DEFAULT_BODY_TIMEOUT)
        super().init_process()

    def handle_request(self, req, conn):
        # Headers are in; the app reads the body from here on: a client that stops sending times out.
        conn.sock.settimeout(self.body_timeout)
        try:
            return super().handle_request(req, conn)
        finally:
            try:
                conn.sock.settimeout(None)
            except OSError:
                pass


class GunicornServer(BaseApplication):
    """Run ``api.create_app()`` under gunicorn with the given settings."""

    def __init__(self, options: dict, body_timeout: float = DEFAULT_BODY_TIMEOUT):
        self.options = options
        self.body_timeout = body_timeout
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        # Called in each worker (preload_app is off): the app is built after the fork.
        from api.decisions.service import get_rules

        from .app import create_app
        app = create_app()
        # Load the published rules now, in the worker, so a worker never first meets them mid-traffic,
        # and follow reloads from here on without waiting for a request.
        rules = get_rules(app)
        rules.ensure_loaded()
        rules.start_following()
        return app


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 2, timeout: int = 30,
          log_level: str | None = None, log_format: str = "json", metrics_bind: str | None = None,
          threads: int = DEFAULT_THREADS, body_timeout: float = DEFAULT_BODY_TIMEOUT) -> None:
    """Run gunicorn in the foreground until SIGTERM/SIGINT (``timeout``: the worker timeout, seconds).

    Workers: :class:`OcmsWorker` (gthread), ``threads`` each; ``body_timeout`` seconds for a body to arrive.

    Metrics (api/web/metrics.py): every worker writes to one
    ``PROMETHEUS_MULTIPROC_DIR`` made ready here, before the fork; a worker's
    live gauges go when it exits. ``metrics_bind`` (``host:port``) is a second
    address serving ``/metrics`` without credentials. Logs: JSON lines
    (api/web/logging.py); the app writes the request line, so gunicorn's
    access log is off.
    """
    import os
    import shutil

    from .web.gunicorn_hooks import child_exit, gunicorn_logconfig, prepare_multiprocess_dir

    metrics_dir, made = prepare_multiprocess_dir()
    binds = [f"{host}:{port}"] + ([metrics_bind] if metrics_bind else [])
    if metrics_bind:
        os.environ["OCMS_METRICS_BIND"] = metrics_bind  # the workers tell that address from the main one
    try:
        GunicornServer({
            "bind": binds, "workers": workers, "timeout": timeout, "preload_app": False,
            "worker_class": "api.server.OcmsWorker", "threads": max(1, threads),
            "accesslog": None, "child_exit": child_exit,
            "logconfig_dict": gunicorn_logconfig(log_level or "info", log_format),
            # Several services (and test runs) share a host: no shared ~/.gunicorn control socket.
            "control_socket_disable": True, "loglevel": (log_level or "info").lower(),
        }, body_timeout=body_timeout).run()
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)
