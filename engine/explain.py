"""The reference evaluator: runs the normal condition tree in Python over typed values.

It decides what the rules as written decide (Decimal compared exactly, dates
as dates, patterns by :mod:`engine.pattern`), explains a decision (which rule
failed on which condition) and, run beside durable_rules, checks every
decision the engine makes before it is used or cached (registry.py).
"""
from __future__ import annotations

import operator
from functools import lru_cache
from typing import Any

from .compiler import normalise
from .encoding import leaves as leaves_of
from .model import All, And, Any_, Leaf, Not, Or, Ruleset, Test
from .pattern import compile_pattern


@lru_cache(maxsize=8192)
def leaf_test(leaf: Leaf):
    """A leaf as a function of the typed values. A comparison with an absent value never
    holds, negated or not — durable_rules' behaviour with null, which the rules follow."""
    f, v, op = leaf.field, leaf.value, leaf.op
    if op == "null":
        return lambda e: e.get(f) is None
    if op == "notnull":
        return lambda e: e.get(f) is not None
    if op == "eq":
        return lambda e: e.get(f) == v  # v is never None here: "equals null" is "absent"
    if op == "mt":
        match = compile_pattern(v).fullmatch
        return lambda e: type(x := e.get(f)) is str and match(x)
    cmp = {"neq": operator.ne, "lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}[op]
    return lambda e: (x := e.get(f)) is not None and cmp(x, v)


def leaf_holds(leaf: Leaf, event: dict) -> bool:
    return leaf_test(leaf)(event)


def holds(node, event: dict) -> bool:
    if isinstance(node, Leaf):
        return leaf_holds(node, event)
    if isinstance(node, And):
        return all(holds(i, event) for i in node.items)
    return any(holds(i, event) for i in node.items)


def first_failure(node, event: dict) -> tuple[str, Any] | None:
    """The first condition that fails (description, actual value), or None if it holds."""
    if isinstance(node, Leaf):
        return None if leaf_holds(node, event) else (node.describe(), event.get(node.field))
    if isinstance(node, And):
        for i in node.items:
            f = first_failure(i, event)
            if f is not None:
                return f
        return None
    assert isinstance(node, Or)
    if any(holds(i, event) for i in node.items):
        return None
    fields = sorted({getattr(i, "field", None) for i in node.items} - {None})
    desc = " or ".join(_describe(i) for i in node.items)
    actual = {f: event.get(f) for f in fields} if len(fields) > 1 else (event.get(fields[0]) if fields else None)
    return f"any of: {desc}", actual


# ---- the rules as written -------------------------------------------------
def value_text(v: Any) -> str:
    """A typed constant as YAML shows it: O, 80.00, 2026-01-15, true."""
    if isinstance(v, str):
        return v
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _named(value: Any, param: str | None) -> str:
    return f"{param} ({value_text(value)})" if param else value_text(value)


def condition_text(cond) -> str:
    """A written condition in the analyst's words, one line.

    ``vehicle_registration_type not_in local_vehicle_types``,
    ``composition_amount gt an_amount_limit (80.00)`` (a parameter: its name
    and value), ``past_offences_24m between 1 and 5``, ``vehicle_category
    absent``, ``not (a)``, ``a and (b or c)``; None is ``always``.
    """
    if cond is None:
        return "always"
    if isinstance(cond, Test):
        f, op = cond.field, cond.op
        if op in ("present", "absent"):
            return f"{f} {op}"
        if op in ("in", "not_in"):
            shown = cond.list_name or "[" + ", ".join(value_text(v) for v in cond.value) + "]"
            return f"{f} {op} {shown}"
        if op == "between":
            lo, hi = cond.value
            plo, phi = cond.param or (None, None)
            return f"{f} between {_named(lo, plo)} and {_named(hi, phi)}"
        return f"{f} {op} {_named(cond.value, cond.param)}"
    if isinstance(cond, (All, Any_)):
        joiner = " and " if isinstance(cond, All) else " or "
        return joiner.join(f"({condition_text(c)})" if isinstance(c, (All, Any_)) else condition_text(c)
                           for c in cond.items)
    if isinstance(cond, Not):
        return f"not ({condition_text(cond.item)})"
    return str(cond)


@lru_cache(maxsize=8192)
def _normal_cached(cond):
    return normalise(cond)


def normal_of(cond):
    """The normal tree of a written condition (cached: written nodes are frozen and hashable)."""
    try:
        return _normal_cached(cond)
    except TypeError:  # a value that cannot be hashed: no cache, same answer
        return normalise(cond)


def written_holds(cond, values: dict) -> bool:
    """Whether a written condition holds for typed values (through its normal tree, as the engine decides)."""
    return cond is None or holds(normal_of(cond), values)


def fields_of(cond) -> list[str]:
    """The facts (and parameters) a written condition reads, in the order written."""
    if isinstance(cond, Test):
        return [cond.field]
    items = (cond.item,) if isinstance(cond, Not) else cond.items
    return list(dict.fromkeys(f for c in items for f in fields_of(c)))


def _actual(cond, values: dict):
    fields = fields_of(cond)
    return values.get(fields[0]) if len(fields) == 1 else {f: values.get(f) for f in fields}


def written_failure(cond, values: dict):
    """The first written condition that fails -> (condition, actual value), or None when it holds.

    Walks the tree as written: in an ``all`` (or a mapping of several facts)
    the first item that fails, in the order written; an ``any`` whose every
    alternative fails is reported whole, a ``not`` whose inner condition holds
    too. ``actual`` is the fact's typed value, or {fact: value} when the
    condition reads several.
    """
    if cond is None or written_holds(cond, values):
        return None
    if isinstance(cond, All):
        for c in cond.items:
            f = written_failure(c, values)
            if f is not None:
                return f
    return cond, _actual(cond, values)


def _describe(node) -> str:
    if isinstance(node, Leaf):
        return node.describe()
    joiner = " and " if isinstance(node, And) else " or "
    return "(" + joiner.join(_describe(i) for i in node.items) + ")"


def predicate_key(leaves: list[Leaf]):
    """A function giving, for typed values, the truth of every leaf: the decision cache key.

    Two subjects with the same truth vector get the same decision from any rule
    built from these leaves, however different their raw values (counts,
    amounts, dates), so the cache stays small and hits often. The function is
    generated as one expression per leaf (the same tests as leaf_test, without
    a call per leaf: the key is on every decision's path).
    """
    env: dict[str, Any] = {"_str": str}
    lines, parts, seen = [], [], {}
    for n, leaf in enumerate(leaves):
        if leaf.field not in seen:
            seen[leaf.field] = f"x{len(seen)}"
            lines.append(f"    {seen[leaf.field]} = g({leaf.field!r})")
        x, c = seen[leaf.field], f"c{n}"
        env[c] = leaf.value
        if leaf.op == "null":
            parts.append(f"{x} is None")
        elif leaf.op == "notnull":
            parts.append(f"{x} is not None")
        elif leaf.op == "eq":
            parts.append(f"{x} == {c}")
        elif leaf.op == "mt":
            env[c] = compile_pattern(leaf.value).fullmatch
            parts.append(f"(type({x}) is _str and {c}({x}))")
        else:
            sym = {"neq": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[leaf.op]
            parts.append(f"({x} is not None and {x} {sym} {c})")
    src = "def key(e):\n    g = e.get\n" + "\n".join(lines) + ("\n" if lines else "") + \
        f"    return ({', '.join(parts)}{',' if len(parts) == 1 else ''})\n"
    exec(compile(src, "<cache key>", "exec"), env)  # noqa: S102 - source built above from leaf fields and ops only
    return env["key"]


def _over_key(node, index: dict):
    """A normal tree as a function of the truth vector (the cache key)."""
    if isinstance(node, Leaf):
        i = index[node]
        return lambda k: k[i]
    parts = tuple(_over_key(n, index) for n in node.items)
    if isinstance(node, And):
        return lambda k: all(p(k) for p in parts)
    return lambda k: any(p(k) for p in parts)


def key_decider(rs: Ruleset, leaves: list[Leaf]):
    """A function from a truth vector to the rule indices the rules as written fire (in order).

    ``first``: the first rule that holds (or none); ``collect``: every rule that
    holds. The key already holds every leaf's truth, so this costs a few
    boolean operations: it is how every engine answer is checked (registry.py).
    """
    index = {leaf: i for i, leaf in enumerate(leaves)}
    rules = tuple((i, _over_key(r.normal, index)) for i, r in enumerate(rs.rules))
    if rs.hit_policy == "first":
        def decide(k: tuple) -> tuple:
            for i, test in rules:
                if test(k):
                    return (i,)
            return ()
    else:
        def decide(k: tuple) -> tuple:
            return tuple(i for i, test in rules if test(k))
    return decide


__all__ = ["condition_text", "fields_of", "first_failure", "holds", "key_decider", "leaf_holds", "leaf_test",
           "leaves_of", "normal_of", "predicate_key", "value_text", "written_failure", "written_holds"]
