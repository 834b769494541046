"""Check facts against a ruleset's declarations and bring them to engine form."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .compiler import to_engine
from .errors import FactError, FactProblem
from .loader import _did_you_mean, coerce_value
from .model import Ruleset

_EPOCH = dt.datetime(1970, 1, 1)


class _Bad(Exception):
    pass


# Each converter takes a caller's value and returns (typed, engine form, JSON form) or raises _Bad.
def _string(v):
    if type(v) is str:
        return v, v, v
    raise _Bad


def _integer(v):
    if type(v) is int:
        return v, v, v
    raise _Bad


def _decimal(v):
    t = type(v)
    if t is float or t is int:
        return Decimal(str(v)), float(v), v
    if t is Decimal or t is str:
        try:
            d = Decimal(v.strip() if t is str else v)
        except InvalidOperation:
            raise _Bad from None
        if not d.is_finite():
            raise _Bad
        return d, float(d), float(d)
    raise _Bad


def _boolean(v):
    if type(v) is bool:
        return v, v, v
    raise _Bad


def _date(v):
    if isinstance(v, dt.datetime):
        v = v.date()
    elif type(v) is str:
        try:
            v = dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            raise _Bad from None
    elif not isinstance(v, dt.date):
        raise _Bad
    return v, v.toordinal(), v.isoformat()


def _datetime(v):
    if type(v) is str or isinstance(v, dt.date):
        ok, v = coerce_value("datetime", v)
        if not ok:
            raise _Bad
        return v, int((v - _EPOCH).total_seconds()), v.isoformat()
    raise _Bad


CONVERTERS: dict[str, Callable] = {
    "string": _string, "integer": _integer, "decimal": _decimal,
    "boolean": _boolean, "date": _date, "datetime": _datetime,
}


def _describe(v: Any) -> str:
    return f"{type(v).__name__} {v!r}"


class FactChecker:
    """Validates facts for one ruleset; built once per loaded ruleset."""

    def __init__(self, rs: Ruleset):
        self.rs = rs
        self.specs = [(n, f.required, CONVERTERS[f.type], frozenset(f.enum) if f.enum else None, f.type)
                      for n, f in rs.facts.items()]
        self.param_event = {k: to_engine(v) for k, v in rs.parameters.items()}

    def check(self, facts: dict, parameters: dict | None = None) -> tuple[dict, dict, dict]:
        """Return (typed facts, engine event, JSON facts); raise FactError listing every bad fact.

        Every declared fact ends up present: a missing optional fact is None, so
        rules compare with null rather than testing for a missing field.
        """
        rs = self.rs
        if not isinstance(facts, dict):
            raise FactError(rs.name, [FactProblem("facts", "facts must be an object of name: value")])
        problems: list[FactProblem] = []
        typed, event, js = {}, {}, {}
        for name, required, conv, enum, ftype in self.specs:
            raw = facts.get(name)
            if raw is None:
                if required:
                    problems.append(FactProblem(name, "required fact is missing" if name not in facts else "required fact is null",
                                                expected=ftype))
                typed[name] = event[name] = js[name] = None
                continue
            try:
                t, e, j = conv(raw)
            except _Bad:
                problems.append(FactProblem(name, f"expected {ftype}, got {_describe(raw)}", expected=ftype, got=_describe(raw)))
                continue
            if enum is not None and t not in enum:
                problems.append(FactProblem(name, f"must be one of {list(rs.facts[name].enum)}, got {t!r}", expected=ftype,
                                            got=_describe(raw)))
                continue
            typed[name], event[name], js[name] = t, e, j
        if len(facts) > len(typed) or any(k not in rs.facts for k in facts):
            for name in facts:
                if name not in rs.facts:
                    problems.append(FactProblem(name, f"{name!r} is not a fact of ruleset {rs.name!r}"
                                                + _did_you_mean(name, rs.facts), got=_describe(facts[name])))
        event.update(self.param_event)
        if parameters:
            for name, raw in parameters.items():
                if name not in rs.parameters:
                    problems.append(FactProblem(name, f"{name!r} is not a parameter of ruleset {rs.name!r}"
                                                + _did_you_mean(name, rs.parameters)))
                    continue
                ok, val = coerce_value(rs.parameter_types[name], raw)
                if not ok or val is None:
                    problems.append(FactProblem(name, f"parameter expects {rs.parameter_types[name]}, got {_describe(raw)}"))
                    continue
                event[name] = to_engine(val)
        if problems:
            raise FactError(rs.name, problems)
        return typed, event, js

