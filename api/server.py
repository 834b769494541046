"""``ocms serve``: the app under gunicorn, created in each worker after the fork.

The master never builds the app, so no database engine and no durable_rules
ruleset exists before the fork; each worker loads the published rules version
itself and starts its follower thread, which follows new generations and shadow
runs and writes the worker's heartbeat (api/decisions/service.py).

Worker model (README "Limits and timeouts"): :class:`OcmsWorker`, gunicorn's
threaded worker (``gthread``, ``--threads`` per worker, default
:data:`DEFAULT_THREADS`). A slow client holds one thread, never a whole
worker: a new connection waits for its first bytes in the worker's main loop
(its poller, no thread; closed after gunicorn's ``--keep-alive`` seconds of
silence), as a kept-alive connection waits for its next request, so idle
connections take no thread. Headers that stop arriving are given up after
``--header-timeout`` seconds in all (408 OCMS-4008, ``Connection: close``),
and a body that stops arriving after ``--body-timeout`` seconds of silence
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

import errno
import json
import selectors
import time
from functools import partial

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

DEFAULT_THREADS = 4
DEFAULT_BODY_TIMEOUT = 10.0
DEFAULT_HEADER_TIMEOUT = 10.0
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


def _honour_connection_close() -> None:
    """Make gunicorn close the connection when the app's answer says ``Connection: close`` (408, for one).

    gunicorn drops hop-by-hop headers the app sets and writes its own
    ``Connection`` header from the request alone, so an app's close was
    answered ``keep-alive`` and the half-read body's bytes would have been
    taken for the next request.
    """
    from gunicorn.http import wsgi
    original = wsgi.Response.process_headers
    if getattr(original, "ocms_close", False):
        return

    def process_headers(self, headers):
        if any(str(n).lower() == "connection" and "close" in str(v).lower() for n, v in headers):
            self.force_close()
        return original(self, headers)
    process_headers.ocms_close = True
    wsgi.Response.process_headers = process_headers


class HeaderTimeout(Exception):
    """A request line and headers did not all arrive within the header timeout (answered 408, connection closed)."""


class DeadlineUnreader(SocketUnreader):
    """gunicorn's socket reader with an optional deadline (``time.monotonic()``) for everything read before it.

    While ``deadline`` is set (the request line and headers are being read), each
    ``recv`` waits at most until the deadline, so a client dribbling one byte at a
    time cannot hold the thread past it: :class:`HeaderTimeout`. With no deadline
    (the body) the socket's own timeout applies.
    """

    deadline: float | None = None

    def chunk(self, size_hint=None):
        if self.deadline is None:
            return super().chunk(size_hint)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise HeaderTimeout()
        self.sock.settimeout(remaining)
        try:
            return super().chunk(size_hint)
        except TimeoutError:
            raise HeaderTimeout() from None


class OcmsConn(TConn):
    """A connection that collects its request line and headers in the worker's poller before a thread serves it.

    ``head``: the bytes received so far for the next request; ``head_started``:
    when its first byte arrived (``time.monotonic()``), None while idle.
    """

    header_timeout = DEFAULT_HEADER_TIMEOUT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.head = bytearray()
        self.head_started: float | None = None

    def init(self):
        first = not self.initialized
        super().init()
        unreader = getattr(self.parser, "unreader", None)
        if first and type(unreader) is SocketUnreader:
            mine = DeadlineUnreader(unreader.sock, unreader.mxchunk)
            mine.buf = unreader.buf
            self.parser.unreader = mine
            unreader = mine
        if self.head and unreader is not None:
            # The bytes the poller collected come first.
            unreader.unread(bytes(self.head))
        started = self.head_started if self.head_started is not None else time.monotonic()
        self.head, self.head_started = bytearray(), None
        if isinstance(unreader, DeadlineUnreader):
            # Called before every request on the connection (gthread's handle): the header deadline counts
            # from the request's first byte.
            unreader.deadline = started + self.header_timeout


#: Most bytes collected in the poller before a thread takes the request anyway (gunicorn's limits then answer 431).
_HEAD_LIMIT = 128 * 1024


class OcmsWorker(ThreadWorker):
    """gunicorn's threaded worker: the envelope for its own errors, bounds on slow headers and bodies, and
    connections that wait in the poller (never in a thread) until their request line and headers are in."""

    body_timeout = DEFAULT_BODY_TIMEOUT
    header_timeout = DEFAULT_HEADER_TIMEOUT

    def init_process(self):
        # gunicorn writes its error pages through util.write_error (workers/base.py); in this worker
        # process every such answer is the envelope instead.
        util.write_error = write_envelope_error
        _honour_connection_close()
        self.body_timeout = float(getattr(self.app, "body_timeout", DEFAULT_BODY_TIMEOUT) or DEFAULT_BODY_TIMEOUT)
        self.header_timeout = float(getattr(self.app, "header_timeout", DEFAULT_HEADER_TIMEOUT)
                                    or DEFAULT_HEADER_TIMEOUT)
        super().init_process()

    # -- connections wait in the poller --------------------------------------------------------
    def accept(self, listener):
        """Accept a connection and park it in the poller until its headers are in.

        gunicorn's own accept hands a new connection to a thread that waits up to
        5 s for data and then reads the headers blocking, so 20 silent connections
        (or 4 that send half a header) held every thread. Here a connection costs
        no thread until its request line and headers have arrived.
        """
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = OcmsConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking from here
        conn.header_timeout = self.header_timeout
        if self.cfg.is_ssl:  # TLS bytes cannot be read for headers here: gunicorn's own path
            client_sock.setblocking(True)
            self.enqueue_req(conn)
            return
        self._park(conn, time.monotonic() + max(self.cfg.keepalive, 1))

    def _park(self, conn, timeout: float) -> None:
        conn.sock.setblocking(False)
        conn.timeout = timeout
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def _drop(self, conn, answer_408: bool = False) -> None:
        try:
            self.poller.unregister(conn.sock)
        except (OSError, KeyError, ValueError):
            pass
        if answer_408:
            self.log.info("request headers not received within %gs; 408, connection closed", self.header_timeout)
            try:
                write_envelope_error(conn.sock, 408, "Request Timeout", "")
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection's next request begins: collect its headers in the poller too."""
        if not isinstance(conn, OcmsConn):
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._park(conn, time.monotonic() + self.header_timeout)
        self.on_pending_socket_readable(conn, client)

    def on_pending_socket_readable(self, conn, client):
        """Read what has arrived (never blocking); hand the connection to a thread once its headers are in."""
        if not isinstance(conn, OcmsConn):
            return super().on_pending_socket_readable(conn, client)
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self.pending_conns.remove(conn)
            self._drop(conn)
            return
        if conn.head_started is None:
            conn.head_started = time.monotonic()
            conn.timeout = conn.head_started + self.header_timeout
        conn.head += data
        if b"\r\n\r\n" in conn.head or len(conn.head) > _HEAD_LIMIT:
            self.pending_conns.remove(conn)
            self.poller.unregister(client)
            conn.data_ready = True
            conn.sock.setblocking(True)
            self.enqueue_req(conn)

    def murder_pending(self):
        """Close silent connections after their idle time; answer 408 to those whose headers stopped arriving.

        The deadlines differ (idle vs header timeout), so every parked connection is looked at.
        """
        now = time.monotonic()
        for conn in [c for c in self.pending_conns if c.timeout <= now]:
            self.pending_conns.remove(conn)
            self._drop(conn, answer_408=bool(getattr(conn, "head", b"")))

    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, HeaderTimeout):
            # Not the caller's bytes in the log: only that its headers were late.
            self.log.info("request headers not received within %gs from %s; 408, connection closed",
                          self.header_timeout, addr[0] if addr else "-")
            try:
                write_envelope_error(client, 408, "Request Timeout", "")
            except OSError:
                pass
            return
        return super().handle_error(req, client, addr, exc)

    def handle_request(self, req, conn):
        # Headers are in; the app reads the body from here on: a client that stops sending times out.
        unreader = getattr(conn.parser, "unreader", None)
        if isinstance(unreader, DeadlineUnreader):
            unreader.deadline = None
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

    def __init__(self, options: dict, body_timeout: float = DEFAULT_BODY_TIMEOUT,
                 header_timeout: float = DEFAULT_HEADER_TIMEOUT):
        self.options = options
        self.body_timeout = body_timeout
        self.header_timeout = header_timeout
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
          threads: int = DEFAULT_THREADS, body_timeout: float = DEFAULT_BODY_TIMEOUT,
          header_timeout: float = DEFAULT_HEADER_TIMEOUT, keepalive: int = 2) -> None:
    """Run gunicorn in the foreground until SIGTERM/SIGINT (``timeout``: the worker timeout, seconds).

    Workers: :class:`OcmsWorker` (gthread), ``threads`` each; ``header_timeout`` seconds (in all) for a
    request line and headers to arrive, ``body_timeout`` seconds of silence for a body; ``keepalive`` seconds
    an idle connection (new or kept alive) is kept open.

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
            "keepalive": int(keepalive), "accesslog": None, "child_exit": child_exit,
            "logconfig_dict": gunicorn_logconfig(log_level or "info", log_format),
            # Several services (and test runs) share a host: no shared ~/.gunicorn control socket.
            "control_socket_disable": True, "loglevel": (log_level or "info").lower(),
        }, body_timeout=body_timeout, header_timeout=header_timeout).run()
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)
