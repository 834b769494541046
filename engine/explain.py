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

from .encoding import leaves as leaves_of
from .model import And, Leaf, Or, Ruleset
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


__all__ = ["first_failure", "holds", "key_decider", "leaf_holds", "leaf_test", "leaves_of", "predicate_key"]
