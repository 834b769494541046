"""Compile validated rulesets to durable_rules JSON definitions.

Two steps: the written condition becomes the *normal* tree (negations pushed to
the leaves, because durable_rules has no general `not`), then the normal tree
becomes durable_rules' JSON over the *encoded* event of :mod:`engine.encoding`
(ranks, booleans, null: what durable_rules compares exactly). Absent values
are compared with JSON null and never with `$nex` (which hangs on events
lacking the field — DESIGN.md §4). Leaves keep the typed values as written
(Decimal, date, str ...): the reference evaluator compares those.
"""
from __future__ import annotations

from typing import Any

from .encoding import Encoding
from .errors import RulesError
from .model import TRUE, All, And, Any_, Leaf, Not, Or, Ruleset, Test

MARKER = "_ocms"  # every event carries it; the catch-all default rule matches on it
# durable_rules 2.0.28 never returns from create_ruleset when a ruleset has more than 512 alternatives
# (an any/in-list branch is one; measured: one rule with an in-list of 513 values, 171 rules of 3, 513 rules)
# and refuses an event with more than 255 properties (MAX_OBJECT_PROPERTIES).
ENGINE_MAX_ALTERNATIVES = 512
ENGINE_MAX_FIELDS = 250
INDEX = "_i"  # position of an event within a batch
DEFAULT_RULE = "default"

_NEGATE = {"eq": "neq", "neq": "eq", "lt": "gte", "gte": "lt", "gt": "lte", "lte": "gt", "null": "notnull", "notnull": "null"}


class CompileError(Exception):
    def __init__(self, test: Test, message: str, hint: str = ""):
        self.test, self.message, self.hint = test, message, hint
        super().__init__(message)


def normalise(cond, negate: bool = False):
    """Written condition -> normal tree (And/Or/Leaf) with negations at the leaves."""
    if cond is None:
        if negate:
            raise ValueError("cannot negate an empty condition")
        return TRUE
    if isinstance(cond, Not):
        return normalise(cond.item, not negate)
    if isinstance(cond, (All, Any_)):
        items = tuple(normalise(c, negate) for c in cond.items)
        conj = isinstance(cond, All) != negate
        return _flat(And if conj else Or, items)
    if isinstance(cond, Test):
        return _test(cond, negate)
    raise TypeError(cond)


def _flat(kind, items):
    out = []
    for i in items:
        if isinstance(i, kind):
            out.extend(i.items)
        else:
            out.append(i)
    return out[0] if len(out) == 1 else kind(tuple(out))


def _leaf(field: str, op: str, value: Any, negate: bool) -> Leaf:
    return Leaf(field, _NEGATE[op] if negate else op, value)


def _test(t: Test, negate: bool):
    f, op, v = t.field, t.op, t.value
    simple = {"equals": "eq", "not": "neq", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte",
              "absent": "null", "present": "notnull"}
    if op in simple:
        return _leaf(f, simple[op], None if op in ("absent", "present") else v, negate)
    if op in ("in", "not_in"):
        positive = (op == "in") != negate
        leaves = tuple(Leaf(f, "eq" if positive else "neq", x) for x in dict.fromkeys(v))
        return _flat(Or if positive else And, leaves)
    if op == "between":
        lo, hi = v
        if negate:
            return Or((Leaf(f, "lt", lo), Leaf(f, "gt", hi)))
        return And((Leaf(f, "gte", lo), Leaf(f, "lte", hi)))
    if op == "matches":
        if negate:
            raise CompileError(t, f"'not' cannot wrap 'matches' on {f!r}: the engine has no negated pattern match",
                               "write the positive pattern in an earlier rule of a 'first' ruleset instead")
        return Leaf(f, "mt", v)
    raise CompileError(t, f"unknown operator {op!r}")


def node_json(node, encoding: Encoding) -> dict:
    """A normal tree as a durable_rules condition over the encoded event."""
    if isinstance(node, Leaf):
        return encoding.leaf_json(node)
    key = "$and" if isinstance(node, And) else "$or"
    return {key: [node_json(i, encoding) for i in node.items]}


def alternatives(node) -> int:
    """An upper bound of the alternatives durable_rules may build for a normal tree (its DNF size)."""
    if isinstance(node, Leaf):
        return 1
    if isinstance(node, And):
        n = 1
        for i in node.items:
            n *= alternatives(i)
        return n
    return sum(alternatives(i) for i in node.items)


def widest_any(node) -> int:
    """The most items of one any (or in-list) in a normal tree."""
    if isinstance(node, Leaf):
        return 0
    own = len(node.items) if isinstance(node, Or) else 0
    return max([own] + [widest_any(i) for i in node.items])


def needs_probe(rs: Ruleset) -> bool:
    """True when the ruleset may be beyond durable_rules' limits (register it in a child process first)."""
    return sum(alternatives(r.normal) for r in rs.rules) + 1 > ENGINE_MAX_ALTERNATIVES


def engine_rule_name(index: int) -> str:
    return f"r{index:04d}"


def compile_ruleset(rs: Ruleset) -> tuple[dict, list[RulesError]]:
    """Fill each rule's normal condition; return the durable_rules definition and errors.

    The definition reads the event :class:`engine.encoding.Encoding` builds
    for this ruleset (the FactChecker posts exactly that).
    """
    errors: list[RulesError] = []
    definition: dict = {}
    for rule in rs.rules:
        try:
            rule.normal = normalise(rule.when)
        except CompileError as e:
            rule.normal = None
            errors.append(RulesError(rs.file, e.test.line, e.test.column, "unsupported_condition", e.message, e.hint,
                                     rs.name, rule.id))
    for rule in rs.rules:
        if rule.normal is not None and widest_any(rule.normal) > ENGINE_MAX_ALTERNATIVES:
            errors.append(RulesError(rs.file, rule.line, rule.column, "engine_limit",
                                     f"the rule has an in-list or any of more than {ENGINE_MAX_ALTERNATIVES} values; "
                                     "durable_rules never finishes loading that", "split the list over several rules",
                                     rs.name, rule.id))
    if errors:
        return {}, errors
    encoding = Encoding(rs)
    fields = len(encoding.encoders) + len(encoding.patterns)
    if fields > ENGINE_MAX_FIELDS:
        return {}, [RulesError(rs.file, 1, 1, "engine_limit", f"the rules read {fields} fields; the engine takes at most "
                               f"{ENGINE_MAX_FIELDS}", "split the ruleset", rs.name)]
    for i, rule in enumerate(rs.rules):
        cond = {MARKER: 1} if rule.normal == TRUE else {"$and": [{MARKER: 1}, node_json(rule.normal, encoding)]}
        definition[engine_rule_name(i)] = {"all": [{"m": cond}], "pri": i + 1}
    definition[DEFAULT_RULE] = {"all": [{"m": {MARKER: 1}}], "pri": len(rs.rules) + 1_000_000}
    return definition, errors


def rule_by_engine_name(rs: Ruleset) -> dict[str, int]:
    return {engine_rule_name(i): i for i in range(len(rs.rules))}


__all__ = ["compile_ruleset", "normalise", "node_json", "MARKER", "INDEX", "DEFAULT_RULE", "CompileError"]
