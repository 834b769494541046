"""The reference evaluator: runs the normal condition tree in Python.

It explains a decision (which rule failed on which condition) and, run beside
durable_rules, checks that the compilation agrees with the rules as written.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .model import And, Leaf, Or


@lru_cache(maxsize=1024)
def _regex(pattern: str):
    return re.compile(pattern)


def leaf_holds(leaf: Leaf, event: dict) -> bool:
    v = event.get(leaf.field)
    op = leaf.op
    if op == "null":
        return v is None
    if op == "notnull":
        return v is not None
    if v is None:  # a comparison with an absent value never holds, negated or not
        return False
    try:
        if op == "eq":
            return v == leaf.value
        if op == "neq":
            return v != leaf.value
        if op == "lt":
            return v < leaf.value
        if op == "lte":
            return v <= leaf.value
        if op == "gt":
            return v > leaf.value
        if op == "gte":
            return v >= leaf.value
        if op == "mt":
            return isinstance(v, str) and _regex(leaf.value).fullmatch(v) is not None
    except TypeError:
        return False
    raise ValueError(op)


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
