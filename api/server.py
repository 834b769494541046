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
          log_level: str | None = None, log_format: str = "json", metrics_bind: str | None = None) -> None:
    """Run gunicorn in the foreground until SIGTERM/SIGINT.

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
            "accesslog": None, "child_exit": child_exit,
            "logconfig_dict": gunicorn_logconfig(log_level or "info", log_format),
            # Several services (and test runs) share a host: no shared ~/.gunicorn control socket.
            "control_socket_disable": True, "loglevel": (log_level or "info").lower(),
        }).run()
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)
