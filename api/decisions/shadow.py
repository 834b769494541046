"""Shadow mode: candidate rules decide every live call beside the rules in service, never applied.

A :class:`Shadow` holds the candidate's own RuleRegistry. :class:`ServedRules`
(api/decisions/service.py) calls :meth:`Shadow.observe` after each live
``evaluate``/``evaluate_many`` with the same facts and parameters; the shadow
decides them through the same evaluation core (``evaluate_many``, with its
decision cache), compares (``engine.impact.Side``: outcome, code, message,
outputs, actions, fired rules) and keeps counts and the differences in memory.
The worker's follower thread writes them (``ocms_rules_shadow_count``,
``ocms_rules_shadow_diff``) every check interval, off the request path.
Nothing the shadow does can change or fail the live answer: its errors are
counted and logged.
"""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import datetime

from engine import EngineDisagreement, FactError, RuleRegistry, UnknownRulesetError
from engine.impact import REFUSED, Side

from .log import json_safe

log = logging.getLogger(__name__)

#: Differences kept in memory between two flushes; beyond it they are counted as dropped.
MAX_PENDING = 5000


def _request_context() -> tuple[str | None, str | None]:
    from flask import g, has_request_context
    if not has_request_context():
        return None, None
    return getattr(g, "request_id", None), getattr(g, "caller", None)


def _same(a, b) -> bool:
    """Two Decisions give the same answer (what ``engine.impact.Side.same`` compares, without copying)."""
    return (a.fired == b.fired and a.outcome == b.outcome and a.code == b.code and a.message == b.message
            and a.outputs == b.outputs and a.actions == b.actions)


class Shadow:
    """One shadow run in this worker: the candidate registry and its pending results."""

    def __init__(self, shadow_id: int, registry: RuleRegistry, bundle_hash: str):
        self.shadow_id = shadow_id
        self.registry = registry
        self.bundle_hash = bundle_hash
        self._lock = threading.Lock()
        self._counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # compared, differed, dropped
        self._diffs: list[dict] = []
        self.errors = 0
        self.compared = 0
        self.differed = 0

    def _decide(self, name: str, facts_list: list[dict], parameters: dict | None) -> list:
        """The shadow's Decisions (or a refusal as a Side) for the live call's facts."""
        try:
            return self.registry.evaluate_many(name, facts_list, parameters=parameters)
        except UnknownRulesetError:
            return [Side(REFUSED, error=f"the shadow has no ruleset {name!r}") for _ in facts_list]
        except (FactError, EngineDisagreement):
            pass
        out = []
        for facts in facts_list:
            try:
                out.append(self.registry.evaluate(name, facts, parameters=parameters))
            except FactError as e:
                out.append(Side(REFUSED, error="; ".join(f"{p.fact}: {p.message}" for p in e.problems)))
            except EngineDisagreement as e:
                out.append(Side(REFUSED, error=f"engine disagreement: {e}"))
        return out

    def observe(self, name: str, facts_list: list[dict], parameters: dict | None, live: list) -> None:
        """Decide ``facts_list`` with the shadow and record how it differs from the ``live`` decisions."""
        try:
            shadow = self._decide(name, facts_list, parameters)
            rows = []
            for d, s in zip(live, shadow):
                if not isinstance(s, Side) and _same(d, s):
                    continue
                rows.append((d, Side.of(d), s if isinstance(s, Side) else Side.of(s)))
            request_id, caller = _request_context() if rows else (None, None)
            stamp = datetime.now().replace(microsecond=0)
            with self._lock:
                c = self._counts[name]
                c[0] += len(live)
                c[1] += len(rows)
                self.compared += len(live)
                self.differed += len(rows)
                for d, mine, s in rows:
                    if len(self._diffs) >= MAX_PENDING:
                        c[2] += 1
                        continue
                    self._diffs.append({
                        "decided_at": stamp, "request_id": request_id, "caller": caller, "ruleset": name,
                        "facts": json_safe(d.facts), "parameters": json_safe(parameters) if parameters else None,
                        "live_outcome": mine.outcome, "shadow_outcome": s.outcome,
                        "live": json_safe(mine.to_dict()), "shadow": json_safe(s.to_dict()),
                    })
        except Exception:  # the shadow never touches the live answer
            self.errors += 1
            log.exception("shadow run %s failed on ruleset %s; the live decision stands", self.shadow_id, name)

    def drain(self) -> tuple[dict[str, tuple[int, int, int]], list[dict]]:
        """Take the pending counts and differences (for the follower to write)."""
        with self._lock:
            counts = {k: tuple(v) for k, v in self._counts.items() if any(v)}
            diffs, self._diffs = self._diffs, []
            self._counts.clear()
        return counts, diffs

    def give_back(self, counts: dict, diffs: list[dict]) -> None:
        """Put back results that could not be written (they go with the next flush)."""
        with self._lock:
            for k, (a, b, c) in counts.items():
                cur = self._counts[k]
                cur[0] += a
                cur[1] += b
                cur[2] += c
            room = max(MAX_PENDING - len(self._diffs), 0)
            kept = diffs[:room]
            for d in diffs[room:]:
                self._counts[d["ruleset"]][2] += 1
            self._diffs = kept + self._diffs

    def stats(self) -> dict:
        return {"id": self.shadow_id, "hash": self.bundle_hash, "compared": self.compared, "differed": self.differed,
                "errors": self.errors, "pending": len(self._diffs)}

    def close(self) -> None:
        self.registry.close()
