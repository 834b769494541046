"""How fact values are encoded for durable_rules, so that it decides exactly as the rules are written.

durable_rules' C engine compares what it parses from the posted JSON, and
its reading differs from the rules as written for whole kinds of values
(issue 9): strings are compared and pattern-matched as their *escaped JSON
text*, numbers are C doubles or 64-bit integers (``1e+16`` and ``Infinity``
fail to parse, ``80.0000000000000001`` equals ``80.00``), and its regex
dialect is its own. So nothing of that kind is posted.

Every field a rule reads is compared only with constants known when the
ruleset loads (literals, lists, ``{param: ...}``). For each field the
compiler takes the sorted distinct constants ``c0 < c1 < ... < ck-1`` and
posts a value as its *rank* among them::

    v == ci          -> 2*i
    ci-1 < v < ci    -> 2*i - 1      (below c0: -1, above ck-1: 2*k - 1)
    absent           -> null

and writes each constant ``ci`` in the rules as ``2*i``. The ranks keep every
``==, !=, <, <=, >, >=`` between a value and a constant exactly as Python
compares the typed values (Decimal, int of any size, str, date, datetime), and
they are small integers durable_rules compares exactly. Booleans are posted as
JSON true/false. A ``matches`` test is decided in Python by
:mod:`engine.pattern` and posted as a boolean field ``_p<n>``. So durable_rules
only ever sees small integers, booleans and null.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Any, Callable

from .model import And, Leaf, Or, Ruleset
from .pattern import Pattern, compile_pattern

COMPARISONS = ("eq", "neq", "lt", "lte", "gt", "gte")


def leaves(node, out: dict | None = None) -> dict:
    """The distinct leaves of a normal tree, in first-seen order (a dict used as an ordered set)."""
    out = {} if out is None else out
    if isinstance(node, Leaf):
        out.setdefault(node, None)
    elif isinstance(node, (And, Or)):
        for i in node.items:
            leaves(i, out)
    return out


def rank_encoder(constants) -> tuple[Callable[[Any], Any], dict]:
    """(encode value, rank of each constant) for a field compared with ``constants``."""
    consts = tuple(sorted(set(constants)))
    rank = {c: 2 * i for i, c in enumerate(consts)}
    if not consts:
        return (lambda v: None if v is None else 0), rank

    get = rank.get

    def encode(v):
        if v is None:
            return None
        r = get(v)
        if r is not None:
            return r
        return 2 * bisect_left(consts, v) - 1

    return encode, rank


def _identity(v):
    return v


class Encoding:
    """The engine form of one ruleset's fields; a pure function of its normal conditions."""

    def __init__(self, rs: Ruleset):
        all_leaves: dict = {}
        for r in rs.rules:
            if r.normal is not None:
                leaves(r.normal, all_leaves)
        types = {n: f.type for n, f in rs.facts.items()}
        types.update(rs.parameter_types)
        constants: dict[str, set] = {}
        self.pattern_fields: dict[tuple[str, str], str] = {}  # (field, pattern) -> synthetic field
        self.patterns: list[tuple[str, str, Pattern]] = []  # (synthetic field, field, compiled)
        for leaf in all_leaves:
            if leaf.op == "mt":
                key = (leaf.field, leaf.value)
                if key not in self.pattern_fields:
                    name = f"_p{len(self.patterns)}"
                    self.pattern_fields[key] = name
                    self.patterns.append((name, leaf.field, compile_pattern(leaf.value)))
                continue
            values = constants.setdefault(leaf.field, set())
            if leaf.op in COMPARISONS:
                values.add(leaf.value)
        self.encoders: dict[str, Callable] = {}
        self.ranks: dict[str, dict] = {}
        for fieldname, consts in constants.items():
            if types.get(fieldname) == "boolean":
                self.encoders[fieldname], self.ranks[fieldname] = _identity, {True: True, False: False}
            else:
                self.encoders[fieldname], self.ranks[fieldname] = rank_encoder(consts)
        self._facts = tuple((n, e) for n, e in self.encoders.items() if n in rs.facts)
        self._patterns = tuple((name, fieldname, p.fullmatch) for name, fieldname, p in self.patterns
                               if fieldname in rs.facts)
        self._params = tuple((n, e) for n, e in self.encoders.items() if n not in rs.facts)
        self._param_patterns = tuple((name, fieldname, p.fullmatch) for name, fieldname, p in self.patterns
                                     if fieldname not in rs.facts)
        self.default_params = self.params_event(rs.parameters)

    def params_event(self, params: dict) -> dict:
        """The engine fields of the parameters (typed values), to merge into each event."""
        ev = {name: enc(params.get(name)) for name, enc in self._params}
        for name, fieldname, match in self._param_patterns:
            v = params.get(fieldname)
            ev[name] = type(v) is str and match(v)
        return ev

    def complete(self, ev: dict, values: dict, params_event: dict | None = None) -> dict:
        """Add the pattern fields and the parameters to an event whose fact fields are encoded already."""
        for name, fieldname, match in self._patterns:
            v = values[fieldname]
            ev[name] = type(v) is str and match(v)
        ev.update(self.default_params if params_event is None else params_event)
        return ev

    def event(self, values: dict, params_event: dict | None = None) -> dict:
        """The engine event for typed values (every field a rule reads; see the module docstring).

        ``params_event``: the parameters' part (params_event()); default the ruleset's own values.
        """
        ev = {name: enc(values[name]) for name, enc in self._facts}
        for name, fieldname, match in self._patterns:
            v = values[fieldname]
            ev[name] = type(v) is str and match(v)
        ev.update(self.default_params if params_event is None else params_event)
        return ev

    def leaf_json(self, leaf: Leaf) -> dict:
        """One normal-tree leaf as a durable_rules condition over the encoded event."""
        f, op = leaf.field, leaf.op
        if op == "mt":
            return {self.pattern_fields[(f, leaf.value)]: True}
        if op == "null":
            return {f: None}
        if op == "notnull":
            return {"$neq": {f: None}}
        v = self.ranks[f][leaf.value]
        if op == "eq":
            return {f: v}
        return {"$" + op: {f: v}}


__all__ = ["Encoding", "rank_encoder", "leaves", "COMPARISONS"]
