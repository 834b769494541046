"""Check facts against a ruleset's declarations and bring them to engine form.

Three forms of every fact (DESIGN.md §4; issue 9):
- *typed*: what the rules as written compare — str, int (any size), Decimal
  (exact), bool, datetime.date, naive datetime in the business time zone;
- *JSON*: what the Decision reports back (``Decision.facts``);
- *engine*: what durable_rules is posted — see :mod:`engine.encoding`: small
  integers, booleans and null only, so no string, float or pattern ever
  reaches its C parser.

Parsing is strict: a fact that is not exactly of its declared type is a
FactProblem naming the fact, never a silent non-match (no "2026-01-15garbage"
read as a date, no NaN or Infinity as a decimal, no 1 read as true).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .encoding import Encoding
from .errors import FactError, FactProblem
from .errors import did_you_mean as _did_you_mean
from .model import Ruleset

BUSINESS_TIMEZONE = "Asia/Singapore"  # DESIGN.md §10: business dates and times are Singapore time by default

_DECIMAL_TEXT = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})?")


def business_zone(name: str | dt.tzinfo | None = None) -> dt.tzinfo:
    """The tzinfo of a business time zone name (default Asia/Singapore); ValueError if unknown."""
    if isinstance(name, dt.tzinfo):
        return name
    try:
        return ZoneInfo(name or BUSINESS_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {name!r}") from e


class _Bad(Exception):
    """A value that does not fit its type; the argument, if any, says why."""


def to_business_time(v: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A datetime as naive business time: one with an offset is converted, a naive one is business time already."""
    if v.tzinfo is None or v.utcoffset() is None:
        return v.replace(tzinfo=None)
    return v.astimezone(zone).replace(tzinfo=None)


def decimal_json(d: Decimal):
    """A Decimal in JSON form: a float when the float says exactly the same number, else its text."""
    f = float(d)
    return f if math.isfinite(f) and Decimal(repr(f)) == d else str(d)


# Each converter takes a caller's value (and the business zone) and returns (typed, JSON form) or raises _Bad.
def _string(v, zone):
    if type(v) is str:
        if not v.isascii():
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON): no text can hold it
                raise _Bad("not valid Unicode text (a lone surrogate)") from None
        return v, v
    raise _Bad


def _integer(v, zone):
    if type(v) is int:
        return v, v
    raise _Bad


_FLOATS: dict[float, Decimal] = {}  # float -> the decimal its shortest repr says (amounts repeat a lot)


def _decimal(v, zone):
    t = type(v)
    if t is float:
        d = _FLOATS.get(v)
        if d is None:
            if not math.isfinite(v):
                raise _Bad("not a finite number")
            d = Decimal(repr(v))
            if len(_FLOATS) >= 4096:
                _FLOATS.clear()
            _FLOATS[v] = d
        return d, v
    if t is int:
        return Decimal(v), v
    if t is str:
        if not _DECIMAL_TEXT.fullmatch(v):
            raise _Bad("not a decimal number such as 80.00")
        d = Decimal(v)
        return d, decimal_json(d)
    if t is Decimal:
        if not v.is_finite():
            raise _Bad("not a finite number")
        return v, decimal_json(v)
    raise _Bad


def _boolean(v, zone):
    if type(v) is bool:
        return v, v
    raise _Bad


def _date(v, zone):
    if type(v) is dt.date:
        return v, v.isoformat()
    if type(v) is str and _DATE_TEXT.fullmatch(v):
        try:
            d = dt.date.fromisoformat(v)
        except ValueError:
            raise _Bad("not a calendar date") from None
        return d, v
    if isinstance(v, dt.datetime):
        raise _Bad("a date-time, not a date")
    raise _Bad("write a date as YYYY-MM-DD" if type(v) is str else None)


def _datetime(v, zone):
    if isinstance(v, dt.datetime):
        t = to_business_time(v, zone)
        return t, t.isoformat()
    if type(v) is str and _DATETIME_TEXT.fullmatch(v):
        try:
            t = to_business_time(dt.datetime.fromisoformat(v.replace("Z", "+00:00")), zone)
        except ValueError:
            raise _Bad("not a calendar date and time") from None
        return t, t.isoformat()
    raise _Bad("write a date-time as YYYY-MM-DDTHH:MM:SS, optionally with .ffffff and an offset such as +08:00 or Z"
               if type(v) is str else None)


CONVERTERS: dict[str, Callable] = {
    "string": _string, "integer": _integer, "decimal": _decimal,
    "boolean": _boolean, "date": _date, "datetime": _datetime,
}


def convert(ftype: str, raw: Any, zone: dt.tzinfo | None = None) -> tuple[bool, Any, str | None]:
    """(ok, typed value, reason) of one value of a declared type, parsed strictly (None is never ok here)."""
    try:
        return True, CONVERTERS[ftype](raw, zone or business_zone())[0], None
    except _Bad as e:
        return False, None, (e.args[0] if e.args else None)


def _normalised(conv: Callable, normaliser: Callable[[str], str] | None) -> Callable:
    """``conv`` followed by the fact's declared normaliser (``normalise: vehicle_no``), if any."""
    if normaliser is None:
        return conv

    def converted(v, zone):
        t, _ = conv(v, zone)
        t = normaliser(t)
        return t, t
    return converted


def _describe(v: Any) -> str:
    text = repr(v)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(v).__name__} {text}"


class FactChecker:
    """Validates facts for one ruleset and encodes them for durable_rules; built once per loaded ruleset.

    ``zone`` is the business time zone datetimes with an offset are converted
    to (a name or tzinfo; default Asia/Singapore, DESIGN.md §10).
    """

    def __init__(self, rs: Ruleset, zone: str | dt.tzinfo | None = None, encoding: Encoding | None = None):
        self.rs = rs
        self.zone = business_zone(zone)
        self.encoding = encoding or Encoding(rs)
        self.specs = [(n, f.required, _normalised(CONVERTERS[f.type], f.normaliser), frozenset(f.enum) if f.enum else None,
                       f.type, self.encoding.encoders.get(n)) for n, f in rs.facts.items()]
        self.param_values = dict(rs.parameters)
        self.fact_names = frozenset(rs.facts)

    def check(self, facts: dict, parameters: dict | None = None) -> tuple[dict, dict, dict]:
        """Return (typed values, engine event, JSON facts); raise FactError listing every bad fact.

        Typed values hold every declared fact and every parameter (with the
        caller's overrides); a missing optional fact is None, so rules compare
        with null rather than testing for a missing field (DESIGN.md §4).
        """
        rs = self.rs
        if not isinstance(facts, dict):
            raise FactError(rs.name, [FactProblem("facts", "facts must be an object of name: value")])
        zone = self.zone
        problems: list[FactProblem] = []
        typed, js, event = {}, {}, {}
        for name, required, conv, enum, ftype, enc in self.specs:
            raw = facts.get(name)
            if raw is None:
                if required:
                    problems.append(FactProblem(name, "required fact is missing" if name not in facts else "required fact is null",
                                                expected=ftype))
                typed[name] = js[name] = None
                if enc is not None:
                    event[name] = None
                continue
            try:
                t, j = conv(raw, zone)
            except _Bad as e:
                why = f": {e.args[0]}" if e.args and e.args[0] else ""
                problems.append(FactProblem(name, f"expected {ftype}, got {_describe(raw)}{why}", expected=ftype,
                                            got=_describe(raw)))
                continue
            if enum is not None and t not in enum:
                problems.append(FactProblem(name, f"must be one of {list(rs.facts[name].enum)}, got {t!r}", expected=ftype,
                                            got=_describe(raw)))
                continue
            typed[name], js[name] = t, j
            if enc is not None:
                event[name] = enc(t)
        if not self.fact_names.issuperset(facts):
            for name in facts:
                if name not in rs.facts:
                    problems.append(FactProblem(name, f"{name!r} is not a fact of ruleset {rs.name!r}"
                                                + _did_you_mean(name, rs.facts), got=_describe(facts[name])))
        typed.update(self.param_values)
        params_event = None
        if parameters:
            for name, raw in parameters.items():
                if name not in rs.parameters:
                    problems.append(FactProblem(name, f"{name!r} is not a parameter of ruleset {rs.name!r}"
                                                + _did_you_mean(name, rs.parameters)))
                    continue
                ptype = rs.parameter_types[name]
                ok, val, why = convert(ptype, raw, zone) if raw is not None else (False, None, None)
                if not ok:
                    problems.append(FactProblem(name, f"parameter expects {ptype}, got {_describe(raw)}"
                                                + (f": {why}" if why else ""), expected=ptype, got=_describe(raw)))
                    continue
                typed[name] = val
            params_event = self.encoding.params_event(typed)
        if problems:
            raise FactError(rs.name, problems)
        return typed, self.encoding.complete(event, typed, params_event), js
