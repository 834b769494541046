"""Check facts against a ruleset's declarations and bring them to engine form."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .compiler import to_engine
from .errors import FactError, FactProblem
from .loader import _did_you_mean, coerce_value
from .model import Ruleset

_STRICT_PY = {  # what JSON/Python values a caller may pass for each type
    "string": (str,),
    "integer": (int,),
    "decimal": (int, float, Decimal, str),
    "boolean": (bool,),
    "date": (str,),
    "datetime": (str,),
}


def _describe(v: Any) -> str:
    return f"{type(v).__name__} {v!r}"


def check_facts(rs: Ruleset, facts: dict, parameters: dict | None = None) -> tuple[dict, dict]:
    """Return (typed facts, engine event); raise FactError listing every bad fact.

    Every declared fact ends up present: a missing optional fact is None, so
    rules compare with null rather than testing for a missing field.
    """
    if not isinstance(facts, dict):
        raise FactError(rs.name, [FactProblem("facts", "facts must be an object of name: value")])
    problems: list[FactProblem] = []
    typed: dict[str, Any] = {}
    for name in facts:
        if name not in rs.facts:
            problems.append(FactProblem(name, f"{name!r} is not a fact of ruleset {rs.name!r}"
                                        + _did_you_mean(name, rs.facts), got=_describe(facts[name])))
    for name, spec in rs.facts.items():
        raw = facts.get(name)
        if raw is None:
            if spec.required:
                problems.append(FactProblem(name, "required fact is missing" if name not in facts else "required fact is null",
                                            expected=spec.type))
            typed[name] = None
            continue
        ok = isinstance(raw, _STRICT_PY[spec.type]) and not (spec.type in ("integer", "decimal") and isinstance(raw, bool))
        if spec.type in ("date", "datetime") and hasattr(raw, "isoformat"):
            ok = True
        if ok:
            ok, val = coerce_value(spec.type, raw)
        if not ok:
            problems.append(FactProblem(name, f"expected {spec.type}, got {_describe(raw)}", expected=spec.type,
                                        got=_describe(raw)))
            continue
        if spec.enum and val not in spec.enum:
            problems.append(FactProblem(name, f"must be one of {list(spec.enum)}, got {val!r}", expected=spec.type,
                                        got=_describe(raw)))
            continue
        typed[name] = val
    params = dict(rs.parameters)
    for name, raw in (parameters or {}).items():
        if name not in rs.parameters:
            problems.append(FactProblem(name, f"{name!r} is not a parameter of ruleset {rs.name!r}"
                                        + _did_you_mean(name, rs.parameters)))
            continue
        ok, val = coerce_value(rs.parameter_types[name], raw)
        if not ok or val is None:
            problems.append(FactProblem(name, f"parameter expects {rs.parameter_types[name]}, got {_describe(raw)}"))
            continue
        params[name] = val
    if problems:
        raise FactError(rs.name, problems)
    event = {k: to_engine(v) for k, v in typed.items()}
    event.update({k: to_engine(v) for k, v in params.items()})
    return typed, event


def jsonable(typed: dict) -> dict:
    """Typed facts as JSON values (decimals as numbers, dates as ISO text)."""
    out = {}
    for k, v in typed.items():
        if isinstance(v, Decimal):
            out[k] = float(v)
        elif hasattr(v, "isoformat"):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out
