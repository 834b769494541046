"""``ocms serve``: the app under gunicorn, created in each worker after the fork.

The master never builds the app, so no database engine and no durable_rules
ruleset exists before the fork; each worker loads the published rules version
itself and starts its follower thread, which follows new generations and shadow
runs and writes the worker's heartbeat (api/decisions/service.py).
"""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    """Run ``api.create_app()`` under gunicorn with the given settings."""

    def __init__(self, options: dict):
        self.options = options
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
          log_level: str | None = None) -> None:
    """Run gunicorn in the foreground until SIGTERM/SIGINT."""
    GunicornServer({
        "bind": f"{host}:{port}", "workers": workers, "timeout": timeout, "preload_app": False,
        "accesslog": "-",
        # Several services (and test runs) share a host: no shared ~/.gunicorn control socket.
        "control_socket_disable": True, "loglevel": (log_level or "info").lower(),
        # The access log names the request id, never the subscription key.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s',
    }).run()
