"""Payload fields of the CAS APIs and a fast path through marshmallow for valid batches.

A 500-notice CAS API 2 batch is 7,000 fields; marshmallow spends about 7 µs on
each (15 ms a request, more than the bare SQL the request needs). Most
batches are valid, so :class:`FastLoadSchema` first tries a checker compiled
from the schema's own declarations (field types, ``required``, ``allow_none``,
``Length``/``OneOf``/``Range`` validators, schema-level validators). If the
checker accepts the input, its result is what marshmallow would return; if it
has any doubt it returns nothing and marshmallow loads the input as usual, so
every error message still comes from marshmallow. Anything the compiler does
not understand (another field type or validator, hooks, ``data_key``) makes it
give up and marshmallow does all the work: the schemas stay the one source of
truth. ``tests/api/cas/test_validation.py`` checks both paths agree.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate
from marshmallow.decorators import POST_DUMP, POST_LOAD, PRE_DUMP, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

from api.web.fields import NORMALISED_FIELDS, StrictDate, date_window
from api.web.json import CENT

Checker = Callable[[Any], Any]


class Amount(fields.Decimal):
    """An amount: a JSON number (not a string) with at most two decimals, loaded as a Decimal."""

    default_error_messages = {"invalid": "Not a valid amount: expected a JSON number with at most two decimals."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        d = super()._deserialize(value, attr, data, **kwargs)
        if not _two_decimals(d):
            raise self.make_error("invalid")
        return d


def _two_decimals(d: Decimal) -> bool:
    """300, 300.5, 300.50 yes; 300.005 no."""
    if d.as_tuple().exponent >= -2:
        return True
    try:
        return d == d.quantize(CENT)
    except InvalidOperation:
        return False


# ---- the checker compiler -------------------------------------------------------------------
class _Fail(Exception):
    """The fast path is not sure: let marshmallow load (and explain)."""


def _range(v: validate.Range) -> Checker:
    lo, hi, lo_in, hi_in = v.min, v.max, v.min_inclusive, v.max_inclusive

    def ok(x):
        if lo is not None and (x < lo if lo_in else x <= lo):
            return False
        if hi is not None and (x > hi if hi_in else x >= hi):
            return False
        return True
    return ok


def _only(field: fields.Field, *allowed: type) -> bool:
    """Whether every validator of ``field`` is of a kind the compiler understands here."""
    return all(type(v) in allowed for v in field.validators)


def _length_bounds(field: fields.Field) -> tuple[int, float]:
    lo, hi = 0, float("inf")
    for v in field.validators:
        if type(v) is validate.Length:
            if v.equal is not None:
                lo, hi = max(lo, v.equal), min(hi, v.equal)
            else:
                lo, hi = max(lo, v.min or 0), min(hi, v.max if v.max is not None else float("inf"))
    return lo, hi


def _leaf(field: fields.Field) -> Checker | None:
    """A checker of one non-null value of ``field`` (raises _Fail), or None if the field is not understood."""
    kind = type(field)
    if kind is fields.String:
        if not _only(field, validate.Length, validate.OneOf):
            return None
        lo, hi = _length_bounds(field)
        choices = [frozenset(v.choices) for v in field.validators if type(v) is validate.OneOf]

        def convert(x):
            if type(x) is not str or not lo <= len(x) <= hi:
                raise _Fail
            for c in choices:
                if x not in c:
                    raise _Fail
            return x
    elif kind in NORMALISED_FIELDS:
        # The identity fields (api/web/fields.py): normalise first, as their _deserialize does.
        if not _only(field, validate.Length, validate.OneOf):
            return None
        lo, hi = _length_bounds(field)
        choices = [frozenset(v.choices) for v in field.validators if type(v) is validate.OneOf]
        normalise, pattern = kind.normalise, kind.pattern

        def convert(x):
            if type(x) is not str:
                raise _Fail
            x = normalise(x)
            if (pattern is not None and not pattern.match(x)) or not lo <= len(x) <= hi:
                raise _Fail
            for c in choices:
                if x not in c:
                    raise _Fail
            return x
    elif kind is StrictDate:
        if not _only(field) or field.format not in (None, "iso", "iso8601"):
            return None
        match, parse = StrictDate.FORMAT.match, dt.date.fromisoformat

        def convert(x):
            if type(x) is not str or not match(x):
                raise _Fail
            try:
                day = parse(x)
            except ValueError:
                raise _Fail from None
            earliest, latest = date_window()  # the field's plausible window (marshmallow explains a miss)
            if not earliest <= day <= latest:
                raise _Fail
            return day
    elif kind is Amount:
        if not _only(field, validate.Range) or field.places is not None or field.as_string:
            return None
        checks = [_range(v) for v in field.validators]

        def convert(x):
            t = type(x)
            if t is not int and t is not float:
                raise _Fail
            d = Decimal(str(x))
            if not d.is_finite() or not _two_decimals(d):
                raise _Fail
            for c in checks:
                if not c(d):
                    raise _Fail
            return d
    elif kind is fields.List:
        inner = _field(field.inner)
        if inner is None or not _only(field, validate.Length):
            return None
        lo, hi = _length_bounds(field)

        def convert(x):
            if type(x) is not list or not lo <= len(x) <= hi:
                raise _Fail
            return [inner(v) for v in x]
    elif kind is fields.Nested:
        schema = field.schema
        if field.many or not _only(field) or not isinstance(schema, Schema):
            return None
        convert = _schema(schema)
    else:
        return None
    return convert


def _field(field: fields.Field) -> Checker | None:
    convert = _leaf(field)
    if convert is None or not field.allow_none:
        return convert
    return lambda x: None if x is None else convert(x)


def _schema(schema: Schema) -> Checker | None:
    """A checker of a whole (non-many) schema, or None if anything in it is not understood."""
    hooks = schema._hooks
    if any(hooks.get(tag) for tag in (PRE_LOAD, POST_LOAD, VALIDATES, PRE_DUMP, POST_DUMP)):
        return None
    if schema.many or schema.only or schema.exclude or schema.partial or schema.unknown != RAISE:
        return None
    validators = []
    for attr, pass_collection, kwargs in hooks.get(VALIDATES_SCHEMA, ()):
        if pass_collection or kwargs.get("pass_original"):
            return None
        validators.append(getattr(schema, attr))
    specs = []
    for name, f in schema.load_fields.items():
        if f.data_key not in (None, name) or f.attribute not in (None, name):
            return None
        check = _field(f)
        if check is None:
            return None
        specs.append((name, f.required, f.load_default, check))
    names = frozenset(s[0] for s in specs)  # anything else (dump_only fields too) is marshmallow's to refuse

    def convert(data):
        if type(data) is not dict or not data.keys() <= names:
            raise _Fail
        out = {}
        for name, required, default, check in specs:
            if name in data:
                out[name] = check(data[name])
            elif required:
                raise _Fail
            elif default is not missing:
                out[name] = default() if callable(default) else default
        for v in validators:
            try:
                v(out, partial=None, many=False, unknown=None)
            except ValidationError:
                raise _Fail from None
        return out
    return convert


class FastLoadSchema(Schema):
    """A schema that loads valid input through a checker compiled from itself; marshmallow does the rest."""

    def load(self, data, *, many=None, partial=None, unknown=None):
        if not many and not partial and unknown in (None, RAISE):
            check = self.__dict__.get("_fast_checker", missing)
            if check is missing:
                check = self.__dict__["_fast_checker"] = _schema(self)
            if check is not None:
                try:
                    return check(data)
                except _Fail:
                    pass
        return super().load(data, many=many, partial=partial, unknown=unknown)


__all__ = ["Amount", "FastLoadSchema", "StrictDate"]
