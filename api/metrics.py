"""The service's Prometheus metrics (prometheus-client), defined once for every process.

Under gunicorn (``ocms serve``) every worker writes its samples to
``PROMETHEUS_MULTIPROC_DIR`` (set up by :mod:`api.server` before any worker
starts, cleaned per worker on exit) and ``GET /metrics`` adds them up
(:mod:`api.web.metrics`). ``ocms scheduler --metrics-bind`` serves the
scheduler's own. Outside both (tests, ``ocms jobs run``) the process's default
registry holds them.

| metric | type | labels | what |
| --- | --- | --- | --- |
| ``ocms_http_requests_total`` | counter | endpoint, method, status, app_code | requests answered (endpoint = the URL rule, e.g. ``/v1/decisions/<ruleset>``) |
| ``ocms_http_request_duration_seconds`` | histogram | endpoint, method | time to answer |
| ``ocms_decisions_total`` | counter | ruleset, outcome | decisions made by the engine |
| ``ocms_engine_latency_seconds`` | histogram | ruleset | one engine call (a batch of decisions counts once) |
| ``ocms_decision_cache_hits_total``, ``…_misses_total`` | counter | ruleset | the engine's decision cache |
| ``ocms_rules_generation`` | gauge (per worker) | — | rules generation the worker serves |
| ``ocms_rules_last_reload_successful`` | gauge (lowest worker) | — | 1 if the worker's last load/reload worked (like Prometheus' ``config_last_reload_successful``) |
| ``ocms_rules_last_reload_success_timestamp_seconds`` | gauge (oldest worker) | — | when it last worked |
| ``ocms_rules_reloads_total`` | counter | result | loads and reloads tried: ok / rejected |
| ``ocms_job_runs_total`` | counter | job, status | job runs: SUCCESS, FAILED, SKIPPED_RUNNING |
| ``ocms_job_duration_seconds`` | histogram | job, status | wall time of a run |
| ``ocms_external_calls_total`` | counter | system, result | calls to CAS, REPCCS, CES, SMTP: ok, retry, failed, refused |
| ``ocms_external_call_duration_seconds`` | histogram | system | one attempt |

:mod:`api.web.metrics` adds, at scrape time from the database,
``ocms_job_last_success_timestamp_seconds{job}`` and ``ocms_job_running{job}``.
"""
from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram

#: Seconds: an HTTP request or an engine call (fast), a batch job (slow).
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200)
ENGINE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5)

HTTP_REQUESTS = Counter("ocms_http_requests", "HTTP requests answered", ["endpoint", "method", "status", "app_code"])
HTTP_LATENCY = Histogram("ocms_http_request_duration_seconds", "Time to answer an HTTP request",
                         ["endpoint", "method"], buckets=FAST_BUCKETS)

DECISIONS = Counter("ocms_decisions", "Decisions made by the rules engine", ["ruleset", "outcome"])
ENGINE_LATENCY = Histogram("ocms_engine_latency_seconds", "One engine call (one or many decisions)", ["ruleset"],
                           buckets=ENGINE_BUCKETS)
CACHE_HITS = Counter("ocms_decision_cache_hits", "Decisions answered from the decision cache", ["ruleset"])
CACHE_MISSES = Counter("ocms_decision_cache_misses", "Decisions the engine had to fire", ["ruleset"])

RULES_GENERATION = Gauge("ocms_rules_generation", "Rules generation this worker serves",
                         multiprocess_mode="liveall")
RULES_RELOAD_OK = Gauge("ocms_rules_last_reload_successful", "1 if this worker's last rules load or reload worked",
                        multiprocess_mode="livemin")
RULES_RELOAD_OK_TIME = Gauge("ocms_rules_last_reload_success_timestamp_seconds",
                             "When this worker's rules last loaded or reloaded successfully (Unix time)",
                             multiprocess_mode="livemin")
RULES_RELOADS = Counter("ocms_rules_reloads", "Rules loads and reloads tried", ["result"])

JOB_RUNS = Counter("ocms_job_runs", "Batch job runs by outcome", ["job", "status"])
JOB_DURATION = Histogram("ocms_job_duration_seconds", "Wall time of a batch job run", ["job", "status"],
                         buckets=JOB_BUCKETS)

EXTERNAL_CALLS = Counter("ocms_external_calls", "Calls to external systems by result", ["system", "result"])
EXTERNAL_LATENCY = Histogram("ocms_external_call_duration_seconds", "One attempt of a call to an external system",
                             ["system"], buckets=FAST_BUCKETS + (30.0, 60.0))


def job_finished(job: str, status: str, seconds: float) -> None:
    """Count one run of ``job`` ending in ``status`` after ``seconds``."""
    JOB_RUNS.labels(job, status).inc()
    JOB_DURATION.labels(job, status).observe(seconds)


def external_call(system: str, result: str, seconds: float | None = None) -> None:
    """Count one attempt at ``system``: ``ok``, ``retry`` (failed, will retry), ``failed`` (gave up), ``refused`` (final 4xx)."""
    EXTERNAL_CALLS.labels(system, result).inc()
    if seconds is not None:
        EXTERNAL_LATENCY.labels(system).observe(seconds)


def rules_loaded(ok: bool, generation: int | None = None) -> None:
    """Record a rules load or reload of this worker: worked (with the generation it now serves) or was refused."""
    RULES_RELOADS.labels("ok" if ok else "rejected").inc()
    RULES_RELOAD_OK.set(1 if ok else 0)
    if ok:
        RULES_RELOAD_OK_TIME.set(time.time())
        if generation is not None:
            RULES_GENERATION.set(generation)


def rules_generation(generation: int) -> None:
    """The rules generation this worker serves now."""
    RULES_GENERATION.set(generation)


__all__ = [
    "CACHE_HITS", "CACHE_MISSES", "DECISIONS", "ENGINE_LATENCY", "EXTERNAL_CALLS", "EXTERNAL_LATENCY",
    "HTTP_LATENCY", "HTTP_REQUESTS", "JOB_DURATION", "JOB_RUNS", "RULES_GENERATION", "RULES_RELOADS",
    "RULES_RELOAD_OK", "RULES_RELOAD_OK_TIME", "external_call", "job_finished", "rules_generation", "rules_loaded",
]
