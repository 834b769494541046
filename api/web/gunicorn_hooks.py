"""What ``ocms serve`` sets up in the gunicorn master: metrics files shared by the workers, JSON logs.

Imported by the master, so it imports nothing heavy (no engine, no app, and
prometheus-client only after ``PROMETHEUS_MULTIPROC_DIR`` is set — the library
picks its storage when first imported, and the workers inherit that choice).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir() -> tuple[str, bool]:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory before any worker starts; (dir, made here).

    An operator's directory is kept but emptied of the last run's files (they
    would be added to this run's counts); otherwise a private temporary one is
    made (and removed by ``ocms serve`` on exit).
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for f in path.glob("*.db"):
            f.unlink(missing_ok=True)
        return str(path), False
    made = tempfile.mkdtemp(prefix="ocms-metrics-")
    os.environ[MULTIPROC_ENV] = made
    return made, True


def child_exit(server, worker) -> None:
    """gunicorn hook: a worker ended; drop its live gauges (its counters stay in the totals)."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def gunicorn_logconfig(level: str = "INFO", fmt: str = "json") -> dict:
    """gunicorn's ``logconfig_dict``: its own lines (start, workers, errors) as JSON on stderr too.

    gunicorn's access log is off: the app writes the request line itself
    (:func:`init_request_log`), with the app code and without any header.
    """
    formatter = "api.web.logging.TextLogFormatter" if fmt == "text" else "api.web.logging.JsonLogFormatter"
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"ocms": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "ocms", "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
                    "gunicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False}},
        "root": {"level": level.upper(), "handlers": []},
    }



__all__ = ["MULTIPROC_ENV", "child_exit", "gunicorn_logconfig", "prepare_multiprocess_dir"]
