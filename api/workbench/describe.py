"""A ruleset described for the workbench page: each rule's conditions as written, outcome and actions.

The conditions come from the *written* tree the loader keeps (``engine.model``
Test / All / Any / Not: the analyst's operators and fact names, not the
compiled form); a list the rule names is shown by its name (the loader keeps
it), a parameter by its name and value. Each rule also carries ``source``: its
lines of YAML, read from the file the rules in service were loaded from.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.explain import condition_text as written_text
from engine.model import All, Any_, Not, Ruleset, Test


def _jsonable(v: Any) -> Any:
    """A condition's value as JSON: decimals as numbers, dates as ISO text."""
    from decimal import Decimal
    if isinstance(v, Decimal):
        return float(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def condition_tree(rs: Ruleset, cond) -> dict | None:
    """The written condition as JSON: ``{"test": {...}}``, ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": ...}``."""
    if cond is None:
        return None
    if isinstance(cond, Test):
        d: dict = {"fact": cond.field, "op": cond.op, "line": cond.line}
        if cond.op in ("in", "not_in"):
            d["values"] = [_jsonable(v) for v in cond.value]
            if cond.list_name:
                d["list"] = cond.list_name
        elif cond.op == "between":
            d["values"] = [_jsonable(v) for v in cond.value]
        elif cond.op not in ("present", "absent"):
            d["value"] = _jsonable(cond.value)
        if cond.param:
            d["param"] = list(cond.param) if isinstance(cond.param, tuple) else cond.param
        d["text"] = condition_text(rs, cond)
        return {"test": d}
    if isinstance(cond, All):
        return {"all": [condition_tree(rs, c) for c in cond.items]}
    if isinstance(cond, Any_):
        return {"any": [condition_tree(rs, c) for c in cond.items]}
    if isinstance(cond, Not):
        return {"not": condition_tree(rs, cond.item)}
    return {"text": str(cond)}


def condition_text(rs: Ruleset, cond) -> str:
    """One line in the analyst's words, e.g. ``vehicle_registration_type not_in local_vehicle_types``.

    The engine's wording (engine.explain.condition_text), the same the explain trace uses.
    """
    return written_text(cond)


def _conjuncts(cond) -> list:
    if cond is None:
        return []
    if isinstance(cond, All):
        out = []
        for c in cond.items:
            out.extend(_conjuncts(c))
        return out
    return [cond]


def _source_lines(rs: Ruleset) -> list[str] | None:
    try:
        text = Path(rs.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    import hashlib
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != rs.hash:
        return None  # not the file these rules were loaded from
    return text.splitlines()


def _rule_source(lines: list[str] | None, start: int, end: int | None) -> str | None:
    """Lines ``start``..``end`` (1-based, end excluded) without trailing blank lines."""
    if not lines or start < 1:
        return None
    chunk = lines[start - 1:(end - 1) if end else None]
    if end is None:  # the last rule: stop at the next top-level key
        for i, ln in enumerate(chunk[1:], start=1):
            if ln and not ln[0].isspace() and not ln.startswith("#"):
                chunk = chunk[:i]
                break
    while chunk and not chunk[-1].strip():
        chunk.pop()
    return "\n".join(chunk)


def describe_ruleset(rs: Ruleset) -> dict:
    """``GET /v1/rulesets/<name>``: the summary plus, per rule, ``conditions`` (texts), ``when`` (tree), ``source``."""
    summary = rs.summary()
    lines = _source_lines(rs)
    starts = [r.line for r in rs.rules]
    described = []
    for i, (r, s) in enumerate(zip(rs.rules, summary["rules"])):
        nxt = starts[i + 1] if i + 1 < len(starts) and starts[i + 1] > r.line else None
        then = s["then"]
        described.append({
            **s, "line": r.line,
            "conditions": [condition_text(rs, c) for c in _conjuncts(r.when)] or ["always"],
            "when": condition_tree(rs, r.when),
            "outcome": then.get("outcome"), "code": then.get("code"), "message": then.get("message"),
            "actions": then.get("actions", []),
            "source": _rule_source(lines, r.line, nxt),
        })
    summary["rules"] = described
    summary["file"] = Path(rs.file).name
    return summary
