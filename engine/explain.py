"""The reference evaluator: runs the normal condition tree in Python.

It explains a decision (which rule failed on which condition) and, run beside
durable_rules, checks that the compilation agrees with the rules as written.
"""
from __future__ import annotations

import operator
import re
from functools import lru_cache
from typing import Any

from .model import And, Leaf, Or


@lru_cache(maxsize=8192)
def leaf_test(leaf: Leaf):
    """A leaf as a function of the event. A comparison with an absent value never
    holds, negated or not — durable_rules' behaviour, which this must mirror."""
    f, v, op = leaf.field, leaf.value, leaf.op
    if op == "null":
        return lambda e: e.get(f) is None
    if op == "notnull":
        return lambda e: e.get(f) is not None
    if op == "eq":
        return lambda e: e.get(f) == v  # v is never None here: "equals null" is "absent"
    if op == "mt":
        match = re.compile(v).fullmatch
        return lambda e: isinstance(x := e.get(f), str) and match(x) is not None
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


def leaves_of(node, out: dict | None = None) -> dict:
    """The distinct leaves of a normal tree, in first-seen order (a dict used as an ordered set)."""
    out = {} if out is None else out
    if isinstance(node, Leaf):
        out.setdefault(node, None)
    else:
        for i in node.items:
            leaves_of(i, out)
    return out


def predicate_key(leaves: list[Leaf]):
    """A function giving, for an event, the truth of every leaf: the decision cache key.

    Two events with the same truth vector get the same decision from any rule
    built from these leaves, however different their raw values (counts,
    amounts, dates), so the cache stays small and hits often. The engine still
    decides each distinct vector the first time it is seen.
    """
    tests = tuple(leaf_test(leaf) for leaf in leaves)

    def key(event: dict) -> tuple:
        return tuple([t(event) for t in tests])

    return key
