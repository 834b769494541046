"""The rule registry the service uses: :class:`engine.RuleRegistry` counted in the metrics (api/metrics.py).

Every engine call is timed (``ocms_engine_latency_seconds{ruleset}``), every
decision counted by outcome (``ocms_decisions_total{ruleset, outcome}``), and
the engine's decision-cache counters are carried over to
``ocms_decision_cache_hits_total`` / ``…_misses_total`` as they move. The engine
itself stays free of any metrics library.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from api import metrics
from engine import RuleRegistry

from repository import business_time

from .vocabulary import VOCABULARY


class InstrumentedRuleRegistry(RuleRegistry):
    """A RuleRegistry whose decisions show in the service's metrics."""

    def __init__(self, *args, **kwargs):
        self._seen_cache: dict[tuple[str, int], tuple[int, int]] = {}
        self._seen_guard = threading.Lock()
        super().__init__(*args, **kwargs)

    def evaluate_many(self, name: str, facts_list: list[dict], explain: bool = False,
                      parameters: dict | None = None, use_cache: bool = True):
        started = time.perf_counter()
        decisions = super().evaluate_many(name, facts_list, explain=explain, parameters=parameters,
                                          use_cache=use_cache)
        metrics.ENGINE_LATENCY.labels(name).observe(time.perf_counter() - started)
        outcomes: dict[str, int] = {}
        for d in decisions:
            key = str(d.outcome) if d.outcome is not None else "none"
            outcomes[key] = outcomes.get(key, 0) + 1
        for outcome, n in outcomes.items():
            metrics.DECISIONS.labels(name, outcome).inc(n)
        self._carry_cache_counts(name)
        return decisions

    def _carry_cache_counts(self, name: str) -> None:
        """Add what the engine's cache counters of ``name`` moved by since last seen (a reload starts them at 0)."""
        compiled = self._active.compiled.get(name)
        if compiled is None:
            return
        key = (name, id(compiled))
        with self._seen_guard:
            hits, misses = compiled.hits, compiled.misses
            old_hits, old_misses = self._seen_cache.get(key, (0, 0))
            if hits > old_hits:
                metrics.CACHE_HITS.labels(name).inc(hits - old_hits)
            if misses > old_misses:
                metrics.CACHE_MISSES.labels(name).inc(misses - old_misses)
            self._seen_cache[key] = (hits, misses)
            if len(self._seen_cache) > 2 * len(self._active.compiled) + 8:  # forget rulesets reloads swapped out
                live = {(n, id(c)) for n, c in self._active.compiled.items()}
                for k in [k for k in self._seen_cache if k not in live]:
                    del self._seen_cache[k]


def new_registry(directory: str | Path) -> InstrumentedRuleRegistry:
    """An instrumented registry of ``directory`` with the service's action vocabulary (jobs use this).

    Datetime facts with an offset are read in the business zone (OCMS_TIMEZONE, repository/business_time.py).
    """
    return InstrumentedRuleRegistry(directory, actions=VOCABULARY, timezone=business_zone_name())


def business_zone_name() -> str:
    """The IANA name of the business zone in force (the engine's ``timezone``)."""
    return str(business_time.business_zone())


__all__ = ["InstrumentedRuleRegistry", "business_zone_name", "new_registry"]
