"""Impact of a rules change: the same facts decided by two registries, and what differs.

:func:`compare` takes the rules in service (``baseline``) and a candidate, and
a stream of :class:`ImpactCase` (fixture cases, or logged decisions with their
recorded facts and parameters). Cases are decided in batches through
:meth:`RuleRegistry.evaluate_many` — the one evaluation core — so the decision
cache decides each distinct truth vector once per registry. The report counts
decisions per ruleset and per (ruleset, old outcome → new outcome) pair and
keeps the first ``keep`` changes with both answers.

A decision *changes* when the outcome, code, message, outputs, actions or
fired rules differ, or when one side refuses the facts (FactError: e.g. the
candidate requires a fact the application does not send) or lacks the
ruleset. Both sides refusing is no change.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Iterator

from .decision import Decision
from .errors import EngineDisagreement, FactError, UnknownRulesetError

REFUSED = "(refused)"  # the outcome shown for a side that refused the facts
ABSENT = "(no ruleset)"  # the outcome shown for a side without the ruleset


@dataclass(slots=True)
class ImpactCase:
    """One set of facts to decide: a fixture case or a logged decision.

    ``ref`` says where it came from (``decision-log:123``, ``fixtures/x.yaml:12``);
    ``subject`` is the notice number (or the fixture case's name).
    """

    ruleset: str
    facts: dict
    parameters: dict | None = None
    subject: str | None = None
    ref: str | None = None
    recorded_fired: list | None = None  # the rules the log says fired (a logged decision)
    # the facts and parameters as JSON text (a decision-log row): cases with the same key are decided once,
    # and ``facts`` may be None until then (decoded from ``key`` only when it must be decided)
    key: str | None = None
    parameters_key: str | None = None
    log_id: int | None = None  # a decision-log row's id (``ref`` is then ``decision-log:<id>``)

    def where(self) -> str | None:
        return self.ref if self.ref is not None or self.log_id is None else f"decision-log:{self.log_id}"


@dataclass
class Side:
    """One registry's answer for a case, in comparable form."""

    outcome: str | None
    code: str | None = None
    message: str | None = None
    outputs: dict = field(default_factory=dict)
    actions: list = field(default_factory=list)
    fired: list = field(default_factory=list)
    version: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, d: Decision) -> "Side":
        return cls(d.outcome, d.code, d.message, d.outputs, [a.to_dict() for a in d.actions], list(d.fired), d.version)

    def same(self, other: "Side") -> bool:
        """Same answer (a refusal equals any refusal; versions do not count)."""
        return (self.outcome == other.outcome and self.code == other.code and self.message == other.message
                and (self.error is None) == (other.error is None) and self.fired == other.fired
                and self.outputs == other.outputs and self.actions == other.actions)

    def to_dict(self) -> dict:
        d = {"outcome": self.outcome, "code": self.code, "message": self.message, "outputs": self.outputs,
             "actions": self.actions, "firedRules": self.fired, "version": self.version}
        if self.error is not None:
            d["error"] = self.error
        return d


@dataclass
class Change:
    case: ImpactCase
    before: Side
    after: Side

    def to_dict(self) -> dict:
        return {"ref": self.case.where(), "subject": self.case.subject, "ruleset": self.case.ruleset,
                "facts": self.case.facts, "parameters": self.case.parameters or None,
                "before": self.before.to_dict(), "after": self.after.to_dict()}


@dataclass
class ImpactReport:
    """Counts and examples of what a candidate would change."""

    compared: int = 0
    changed: int = 0
    per_ruleset: dict = field(default_factory=lambda: defaultdict(lambda: {"compared": 0, "changed": 0}))
    pairs: Counter = field(default_factory=Counter)  # (ruleset, before outcome, after outcome) -> changed decisions
    changes: list[Change] = field(default_factory=list)
    recorded_differs: int = 0  # logged decisions the rules in service no longer decide as recorded
    keep: int = 100

    @property
    def any_change(self) -> bool:
        return self.changed > 0

    def add(self, case: ImpactCase, before: Side, after: Side, same: bool | None = None) -> None:
        self.compared += 1
        stats = self.per_ruleset[case.ruleset]
        stats["compared"] += 1
        rec = case.recorded_fired
        if rec is not None and before.error is None and rec != before.fired:
            self.recorded_differs += 1
        if same if same is not None else before.same(after):
            return
        self.changed += 1
        stats["changed"] += 1
        self.pairs[(case.ruleset, before.outcome, after.outcome)] += 1
        if len(self.changes) < self.keep:
            self.changes.append(Change(case, before, after))

    def to_dict(self) -> dict:
        """JSON form: ``{compared, changed, perRuleset, pairs: [{ruleset, before, after, count}], changes}``."""
        return {
            "compared": self.compared, "changed": self.changed, "recordedDiffers": self.recorded_differs,
            "perRuleset": {k: dict(v) for k, v in sorted(self.per_ruleset.items())},
            "pairs": [{"ruleset": rs, "before": b, "after": a, "count": n}
                      for (rs, b, a), n in sorted(self.pairs.items(), key=lambda x: (-x[1], str(x[0])))],
            "changes": [c.to_dict() for c in self.changes],
            "changesShown": len(self.changes),
        }


def _decide(registry, ruleset: str, cases: list[ImpactCase], parameters: dict | None) -> list[Side]:
    """One registry's answers for cases of one ruleset and parameters: one batch, singles if it refuses some."""
    facts = [c.facts for c in cases]
    try:
        return [Side.of(d) for d in registry.evaluate_many(ruleset, facts, parameters=parameters)]
    except UnknownRulesetError:
        return [Side(ABSENT, error=f"no ruleset {ruleset!r}") for _ in cases]
    except (FactError, EngineDisagreement):
        if len(cases) == 1:
            raise
    out = []
    for f in facts:  # some facts are refused: decide one by one to know which
        try:
            out.append(Side.of(registry.evaluate(ruleset, f, parameters=parameters)))
        except FactError as e:
            out.append(Side(REFUSED, error="; ".join(f"{p.fact}: {p.message}" for p in e.problems)))
        except EngineDisagreement as e:
            out.append(Side(REFUSED, error=f"engine disagreement: {e}"))
    return out


def _safe_decide(registry, ruleset, cases, parameters) -> list[Side]:
    try:
        return _decide(registry, ruleset, cases, parameters)
    except FactError as e:
        return [Side(REFUSED, error="; ".join(f"{p.fact}: {p.message}" for p in e.problems))]
    except EngineDisagreement as e:
        return [Side(REFUSED, error=f"engine disagreement: {e}")]


def _chunks(it: Iterable, n: int) -> Iterator[list]:
    it = iter(it)
    while chunk := list(islice(it, n)):
        yield chunk


def compare(baseline, candidate, cases: Iterable[ImpactCase], *, batch_size: int = 2000, keep: int = 100,
            report: ImpactReport | None = None) -> ImpactReport:
    """Decide every case under ``baseline`` and ``candidate`` (RuleRegistry each) -> ImpactReport.

    Cases are read lazily (an iterator over a million logged decisions is
    fine), grouped per ruleset and parameters within each batch of
    ``batch_size``, and decided with ``evaluate_many`` on each registry.
    ``keep`` bounds the changes kept as examples (counts are always complete).
    Nothing is written anywhere.
    """
    report = report or ImpactReport(keep=keep)
    memo: dict[tuple, tuple] = {}  # (ruleset, facts text, parameters text) -> (before, after, same)
    for chunk in _chunks(cases, batch_size):
        groups: dict[tuple, list[ImpactCase]] = defaultdict(list)
        waiting: dict[tuple, list[ImpactCase]] = {}  # the same facts twice in one chunk: decided once
        for c in chunk:
            if c.key is not None:
                mk = (c.ruleset, c.key, c.parameters_key)
                done = memo.get(mk)
                if done is not None:
                    report.add(c, *done)
                    continue
                if mk in waiting:
                    waiting[mk].append(c)
                    continue
                waiting[mk] = []
                if c.facts is None:
                    c.facts = _loads(c.key)
            p = c.parameters or None
            groups[(c.ruleset, json.dumps(p, sort_keys=True, default=str) if p else "")].append(c)
        for (ruleset, _), group in groups.items():
            params = group[0].parameters or None
            before = _safe_decide(baseline, ruleset, group, params)
            after = _safe_decide(candidate, ruleset, group, params)
            for c, b, a in zip(group, before, after):
                same = b.same(a)
                report.add(c, b, a, same)
                if c.key is not None:
                    mk = (c.ruleset, c.key, c.parameters_key)
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    memo[mk] = (b, a, same)
                    for twin in waiting.get(mk, ()):
                        if twin.facts is None:
                            twin.facts = c.facts
                        report.add(twin, b, a, same)
    return report


MEMO_LIMIT = 500_000  # distinct (ruleset, facts, parameters) remembered by one compare() (then it starts again)


def _loads(text: str) -> dict:
    try:
        v = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return v if isinstance(v, dict) else {}
