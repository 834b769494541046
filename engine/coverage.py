"""Value coverage: every list value, enum value and boundary a rule names, and whether a fixture exercised it.

Rule coverage ("did some fixture fire this rule?") says little about a list of
twenty exempt categories: one fixture fires the rule and nineteen values go
untried, so a value added to the list passes unseen. Here each rule yields
*targets*, read off the condition as written (:mod:`engine.model` Test):

=====================================  =============================================================
written test                           targets
=====================================  =============================================================
(every rule)                           ``fired``: some fixture fires the rule
equals / not / in / not_in on a fact   each value of the enum (a boolean: true and false)
with an ``enum`` (or a boolean)
in / not_in (no enum)                  each list member, and ``another value`` (none of them)
equals / not (no enum)                 the value, and ``another value``
gt / gte / lt / lte  B                 ``at B`` and the other side of B (``above B`` for gt and lte,
                                       ``below B`` for gte and lt): the side where the test's truth
                                       differs from its truth at B
between [L, H]                         ``below L``, ``at L``, ``at H``, ``above H``
matches / present / absent             none (no value is named)
=====================================  =============================================================

A target is *exercised* by a fixture case of the ruleset when the case was
decided (not refused), the rule was tried (under ``hit_policy: first`` an
earlier rule did not already win) and the test was *reached* — every item
written before it in its ``all`` (or in its mapping of facts) held, so the
value actually decided something — and the fact's value (or the parameter's,
with the case's overrides) is the target's. Items of an ``any`` are all
reached when the ``any`` is.

Public: :func:`targets_of` (a ruleset's targets), :func:`measure` (a fixture
report's coverage), :class:`Coverage` (per ruleset, per rule; percentages;
``below(pct)``), :func:`format_coverage`. Issue 15, "coverage an analyst can
trust".
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from .explain import condition_text, leaf_holds, normal_of, value_text, written_holds
from .facts import FactChecker
from .model import All, And, Any_, Leaf, Not, Ruleset, Test

ORDERED_TYPES = ("integer", "decimal", "date", "datetime")
EQUALITY_OPS = ("equals", "not", "in", "not_in")


@dataclass(frozen=True)
class Target:
    """One thing a fixture should exercise: a rule fired, a value named, a side of a boundary.

    ``kind``: ``rule`` | ``enum value`` | ``list value`` | ``value`` | ``boundary``;
    ``condition``: the test as written (``vehicle_category in exempt_categories_11210``);
    ``label``: what must be seen (``EV``, ``at 80.00``, ``above 80.00``, ``another value``);
    ``line``: the test's line in the ruleset file (the rule's for ``fired``).
    """

    rule: str
    kind: str
    condition: str
    label: str
    line: int
    test: Test | None = field(default=None, compare=False, repr=False)
    accepts: Callable[[Any], bool] | None = field(default=None, compare=False, repr=False)
    values: tuple = field(default=(), compare=False, repr=False)  # the values that exercise it, when finitely many
    unreachable: str | None = field(default=None, compare=False)  # why no case can reach it (not counted)

    @property
    def text(self) -> str:
        return "fired" if self.kind == "rule" else f"{self.condition}: {self.label}"

    def to_dict(self) -> dict:
        d = {"rule": self.rule, "kind": self.kind, "condition": self.condition, "label": self.label, "line": self.line}
        if self.unreachable:
            d["unreachable"] = self.unreachable
        return d


def _eq(v):
    return lambda x: x is not None and x == v


def _targets_of_test(rs: Ruleset, rule: str, t: Test) -> list[Target]:
    spec = rs.facts.get(t.field)
    ftype = spec.type if spec else rs.parameter_types.get(t.field)
    cond = condition_text(t)

    def mk(kind, label, accepts, values=()):
        return Target(rule, kind, cond, label, t.line, t, accepts, tuple(values))

    if t.op in EQUALITY_OPS:
        enum = tuple(spec.enum) if spec is not None and spec.enum else ((True, False) if ftype == "boolean" else None)
        if enum:
            return [mk("enum value", value_text(e), _eq(e), (e,)) for e in enum]
        named = tuple(dict.fromkeys(t.value)) if t.op in ("in", "not_in") else (t.value,)
        kind = "list value" if t.op in ("in", "not_in") else "value"
        out = [mk(kind, value_text(v), _eq(v), (v,)) for v in named]
        out.append(mk("value", "another value", lambda x, s=frozenset(named): x is not None and x not in s))
        return out
    if t.op in ("gt", "gte", "lt", "lte") and ftype in ORDERED_TYPES:
        b = t.value
        shown = value_text(b)
        if t.op in ("gt", "lte"):
            other = mk("boundary", f"above {shown}", lambda x: x is not None and x > b)
        else:
            other = mk("boundary", f"below {shown}", lambda x: x is not None and x < b)
        return [mk("boundary", f"at {shown}", _eq(b), (b,)), other]
    if t.op == "between" and ftype in ORDERED_TYPES:
        lo, hi = t.value
        return [mk("boundary", f"below {value_text(lo)}", lambda x: x is not None and x < lo),
                mk("boundary", f"at {value_text(lo)}", _eq(lo), (lo,)),
                mk("boundary", f"at {value_text(hi)}", _eq(hi), (hi,)),
                mk("boundary", f"above {value_text(hi)}", lambda x: x is not None and x > hi)]
    return []


def _decided(node, known: dict) -> bool | None:
    """The truth of a normal tree when only the facts in ``known`` are known (three-valued: None = it depends)."""
    if isinstance(node, Leaf):
        return leaf_holds(node, known) if node.field in known else None
    parts = [_decided(i, known) for i in node.items]
    if isinstance(node, And):
        return False if False in parts else (True if all(p is True for p in parts) else None)
    return True if True in parts else (False if all(p is False for p in parts) else None)


def _blocked(rs: Ruleset, index: int, t: Test, value) -> str | None:
    """Why no case with ``t.field == value`` can reach test ``t`` of rule ``index``, or None if one may.

    An earlier rule of a ``first`` ruleset that holds whatever the other facts
    are decides every such case first; an item written before ``t`` in the
    rule's own conditions that fails for that value stops every such case
    before ``t``. (Three-valued, so a None here is never wrong the other way.)
    """
    f = t.field
    when = rs.rules[index].when
    items = when.items if isinstance(when, All) else (when,)
    known = {f: value}
    for item in items:
        if t in _tests(item):
            break
        if _decided(normal_of(item), known) is False:
            return f"with {f} {value_text(value)} the rule's '{condition_text(item)}' fails before it"
        if isinstance(item, Test) and item.op == "equals" and item.field not in known:
            known[item.field] = item.value  # a case that reaches t has it (e.g. question: creation)
    if rs.hit_policy == "first":
        shown = " and ".join(f"{k} {value_text(v)}" for k, v in known.items())
        for r in rs.rules[:index]:
            if r.normal is not None and _decided(r.normal, known) is True:
                return f"every case with {shown} is decided by {r.id} first"
    return None


def _reachability(rs: Ruleset, index: int, target: Target) -> str | None:
    t = target.test
    if target.values:
        return _blocked(rs, index, t, target.values[0])
    if target.label == "another value":
        spec = rs.facts.get(t.field)
        enum = spec.enum if spec is not None and spec.enum else None
        if enum:  # every other value of the enum blocked: unreachable
            others = [e for e in enum if target.accepts(e)]
            why = [_blocked(rs, index, t, e) for e in others]
            if others and all(why):
                return "; ".join(why)
    return None


def _tests(cond) -> list[Test]:
    if cond is None:
        return []
    if isinstance(cond, Test):
        return [cond]
    if isinstance(cond, Not):
        return _tests(cond.item)
    if isinstance(cond, (All, Any_)):
        return [t for c in cond.items for t in _tests(c)]
    return []


def targets_of(rs: Ruleset) -> dict[str, list[Target]]:
    """Rule id -> its targets (``fired`` first, then each written test's, in the order written).

    A target no case can reach (see :func:`_blocked`) carries the reason in
    ``unreachable`` and is left out of the percentages.
    """
    out: dict[str, list[Target]] = {}
    for i, r in enumerate(rs.rules):
        ts = [Target(r.id, "rule", "", "fired", r.line)]
        for t in _tests(r.when):
            for target in _targets_of_test(rs, r.id, t):
                why = _reachability(rs, i, target) if r.normal is not None else None
                ts.append(replace(target, unreachable=why) if why else target)
        out[r.id] = list(dict.fromkeys(ts))  # a test written twice names its targets once
    return out


def reached(cond, values: dict) -> list[Test]:
    """The tests a case reaches in a written condition (see the module docstring), in the order written."""
    if cond is None:
        return []
    if isinstance(cond, Test):
        return [cond]
    if isinstance(cond, Not):
        return reached(cond.item, values)
    if isinstance(cond, Any_):
        return [t for c in cond.items for t in reached(c, values)]
    if isinstance(cond, All):
        out: list[Test] = []
        for c in cond.items:
            out.extend(reached(c, values))
            if not written_holds(c, values):
                break
        return out
    return []


@dataclass
class RulesetCoverage:
    """One ruleset's targets and how many fixture cases exercised each."""

    name: str
    file: str
    rules: dict[str, list[tuple[Target, int]]]

    @property
    def total(self) -> int:
        """Targets a case can reach (the unreachable ones are shown, not counted)."""
        return sum(1 for ts in self.rules.values() for t, _ in ts if not t.unreachable)

    @property
    def exercised(self) -> int:
        return sum(1 for ts in self.rules.values() for t, n in ts if n and not t.unreachable)

    @property
    def percent(self) -> float:
        return 100.0 * self.exercised / self.total if self.total else 100.0

    def missing(self) -> list[Target]:
        """Reachable targets no fixture exercised."""
        return [t for ts in self.rules.values() for t, n in ts if not n and not t.unreachable]

    def unreachable(self) -> list[Target]:
        return [t for ts in self.rules.values() for t, _ in ts if t.unreachable]

    def to_dict(self) -> dict:
        return {"ruleset": self.name, "targets": self.total, "exercised": self.exercised,
                "percent": round(self.percent, 2),
                "rules": {rid: [{**t.to_dict(), "cases": n} for t, n in ts] for rid, ts in self.rules.items()}}


@dataclass
class Coverage:
    """Value coverage of a fixture run, per ruleset (only the rulesets the run covers)."""

    rulesets: dict[str, RulesetCoverage]

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rulesets.values())

    @property
    def exercised(self) -> int:
        return sum(r.exercised for r in self.rulesets.values())

    @property
    def percent(self) -> float:
        return 100.0 * self.exercised / self.total if self.total else 100.0

    def below(self, pct: float) -> list[RulesetCoverage]:
        """The rulesets whose coverage is under ``pct`` percent (0-100): each must reach it on its own."""
        return [r for _, r in sorted(self.rulesets.items()) if r.percent + 1e-9 < pct]

    def to_dict(self) -> dict:
        return {"targets": self.total, "exercised": self.exercised, "percent": round(self.percent, 2),
                "rulesets": [r.to_dict() for _, r in sorted(self.rulesets.items())]}


def exercised_by(rs: Ruleset, targets: dict, values: dict, tried: set, fired: set) -> list[Target]:
    """The targets one decided case exercises.

    ``targets``: rule id -> its targets (:func:`targets_of`); ``values``: the
    case's typed facts and parameters; ``tried`` / ``fired``: the ids of the
    rules the engine tried and fired for it. Unreachable targets are never
    exercised (that would be a bug in their finding).
    """
    out = []
    for r in rs.rules:
        if r.id not in tried or r.id not in targets:
            continue
        seen = set(reached(r.when, values))
        for target in targets[r.id]:
            if target.kind == "rule":
                if r.id in fired:
                    out.append(target)
            elif target.test in seen and target.accepts(values.get(target.test.field)):
                out.append(target)
    return out


def measure(registry, report, only: str | None = None) -> Coverage:
    """Value coverage of a fixture report (:func:`engine.fixtures.run_fixtures`) over the rules in ``registry``.

    Covers the rulesets of ``report.coverage`` (the run's scope), or only the
    ruleset ``only``. A case's
    typed values are those the engine decided on (the ruleset's FactChecker,
    with the case's parameter overrides); a refused case exercises nothing.
    """
    counts: dict[str, dict[str, dict[Target, int]]] = {}
    files: dict[str, str] = {}
    checkers: dict[str, FactChecker] = {}
    for name in report.coverage:
        if only is not None and name != only:
            continue
        try:
            rs = registry.get(name)
        except KeyError:
            continue
        files[name] = rs.file
        counts[name] = {rid: dict.fromkeys(ts, 0) for rid, ts in targets_of(rs).items()}
        checkers[name] = FactChecker(rs, registry.zone)
    for result in report.results:
        d, case = result.decision, result.case
        if d is None or case.ruleset not in counts or d.trace is None:
            continue
        rs = checkers[case.ruleset].rs
        values = checkers[case.ruleset].check(case.facts, case.parameters or None)[0]
        tally = counts[case.ruleset]
        for target in exercised_by(rs, tally, values, {s.rule for s in d.trace if s.tried}, set(d.fired)):
            tally[target.rule][target] += 1
    return Coverage({name: RulesetCoverage(name, files[name], {rid: list(ts.items()) for rid, ts in rules.items()})
                     for name, rules in counts.items()})


def format_coverage(cov: Coverage, min_percent: float | None = None, verbose: bool = True) -> str:
    """The coverage as text: per ruleset its percentage and each target not exercised (``!!``), then a summary.

    ``verbose`` also lists exercised targets with the number of cases that
    exercised them; with ``min_percent`` the rulesets below it are named.
    """
    lines = ["Value coverage (rules fired; list, enum and other values named; both sides of each boundary):"]
    if not cov.rulesets:
        lines.append("  (no ruleset exercised)")
    for name, rc in sorted(cov.rulesets.items()):
        lines.append(f"  {name}: {rc.exercised}/{rc.total} ({rc.percent:.1f}%)")
        for rid, ts in rc.rules.items():
            shown = [(t, n) for t, n in ts if verbose or not (n or t.unreachable)]
            if not shown:
                continue
            lines.append(f"    {rid}")
            for t, n in shown:
                if t.unreachable:
                    lines.append(f"      -- {t.text}: cannot be reached, not counted ({t.unreachable})")
                elif n:
                    lines.append(f"         {t.text}: {n}")
                else:
                    lines.append(f"      !! {t.text}: no fixture  ({rc.file}:{t.line})")
    unreachable = sum(len(rc.unreachable()) for rc in cov.rulesets.values())
    lines.append(f"Value coverage: {cov.exercised}/{cov.total} targets exercised ({cov.percent:.1f}%)"
                 + (f"; {unreachable} that no case can reach not counted" if unreachable else ""))
    if min_percent is not None:
        low = cov.below(min_percent)
        if low:
            lines.append(f"BELOW THE MINIMUM COVERAGE {min_percent:g}%: "
                         + ", ".join(f"{r.name} {r.percent:.1f}%" for r in low))
        else:
            lines.append(f"Every ruleset reaches the minimum coverage {min_percent:g}%.")
    return "\n".join(lines)


__all__ = ["Coverage", "RulesetCoverage", "Target", "exercised_by", "format_coverage", "measure", "reached",
           "targets_of"]
