"""``GET /metrics`` (Prometheus text format) and the per-request counters behind it (api/metrics.py).

Who may scrape (README "Metrics"):

* on the service's own address: ``Authorization: Bearer $OCMS_METRICS_TOKEN``
  (Prometheus ``authorization: {credentials: …}``) or the admin system's
  ``Ocp-Apim-Subscription-Key``; otherwise OCMS-4001 / 401;
* on ``OCMS_METRICS_BIND`` (``ocms serve --metrics-bind 127.0.0.1:9464``), a
  second address gunicorn listens on: open, and that address answers only
  ``/metrics`` and ``/health/*`` (anything else 404), so it can be left to a
  firewall or the loopback interface.

Under gunicorn the samples of every worker are added up
(prometheus-client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``). Two
gauges are read from the database at scrape time:
``ocms_job_last_success_age_seconds{job}`` (seconds since the job's last
SUCCESS finished) and ``ocms_job_running{job}`` (RUNNING rows).
"""
from __future__ import annotations

import hmac
import logging
import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from api import metrics
from api.database import get_db
from repository.models import JOB_RUNNING, JOB_SUCCESS, BatchJobRun, now

from .auth import KEY_HEADER, key_system
from .errors import ApiError, app_code_for

log = logging.getLogger(__name__)

#: Paths the open metrics address answers; every other path there is 404.
METRICS_BIND_PATHS = ("/metrics", "/health/live", "/health/ready")


class JobsCollector:
    """Gauges of ``ocms_batch_job_run`` read at scrape time (nothing if the database does not answer)."""

    def __init__(self, database):
        self.database = database

    def collect(self):
        age = GaugeMetricFamily("ocms_job_last_success_age_seconds",
                                "Seconds since the job's last SUCCESS run finished", labels=["job"])
        running = GaugeMetricFamily("ocms_job_running", "RUNNING rows of the job (in progress, or abandoned)",
                                    labels=["job"])
        try:
            with self.database.session() as s:
                last = s.execute(select(BatchJobRun.job_name, func.max(BatchJobRun.finished_at))
                                 .where(BatchJobRun.status == JOB_SUCCESS).group_by(BatchJobRun.job_name)).all()
                busy = s.execute(select(BatchJobRun.job_name, func.count())
                                 .where(BatchJobRun.status == JOB_RUNNING).group_by(BatchJobRun.job_name)).all()
        except Exception as e:  # a scrape must still answer with the process metrics
            log.warning("metrics: ocms_batch_job_run not readable (%s)", type(e).__name__)
            return
        stamp = now()
        for job, finished in last:
            if finished is not None:
                age.add_metric([job], max((stamp - finished).total_seconds(), 0.0))
        for job, n in busy:
            running.add_metric([job], n)
        yield age
        yield running


def _process_registry():
    """Every worker's samples (multiprocess mode) or this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _on_metrics_bind() -> bool:
    port = current_app.config.get("OCMS_METRICS_PORT")
    return bool(port) and str(request.environ.get("SERVER_PORT")) == str(port)


def _authorised() -> bool:
    if _on_metrics_bind():
        return True
    token = current_app.config.get("OCMS_METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        g.caller = "metrics"
        return True
    if key_system(request.headers.get(KEY_HEADER), ("admin",)):
        g.caller = "admin"
        return True
    return False


def metrics_view():
    """The Prometheus exposition of every worker, plus the job gauges from the database."""
    if not _authorised():
        raise ApiError(401, "Unauthorized")
    body = generate_latest(_process_registry())
    jobs = CollectorRegistry(auto_describe=False)
    jobs.register(JobsCollector(get_db()))
    body += generate_latest(jobs)
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], content_type=CONTENT_TYPE_LATEST)


def _start() -> None:
    g._metrics_started = time.perf_counter()
    if _on_metrics_bind() and request.path not in METRICS_BIND_PATHS:
        raise ApiError(404, "Not Found")


def _count(response):
    started = getattr(g, "_metrics_started", None)
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.HTTP_REQUESTS.labels(endpoint, request.method, str(response.status_code),
                                 app_code_for(response.status_code)).inc()
    if started is not None:
        metrics.HTTP_LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response


def init_metrics(app: Flask) -> None:
    """Count and time every request; serve ``GET /metrics``."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_count)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])


__all__ = ["JobsCollector", "METRICS_BIND_PATHS", "init_metrics", "metrics_view"]
