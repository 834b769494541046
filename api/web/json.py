"""The app's JSON provider: Decimal amounts as exact JSON numbers, keys in the order built.

The specs show money as ``300.00`` and ``0.00``. The standard library's
``json`` cannot write a Decimal as a number (Flask's default writes it as the
string ``"300.00"``), so responses are written with simplejson
(``use_decimal=True``): ``Decimal("300.00")`` becomes ``300.00``. Use cases
quantize amounts with :func:`money` so every amount carries two decimals.

Keys keep the order the view built them in (the specs list response fields
in a fixed order); Flask's default sorts them. Everything else (dates,
dataclasses, UUIDs) is rendered as Flask's default provider does. Request
bodies are still parsed by the standard library, so existing endpoints see
the same types as before (floats, not Decimals).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import simplejson
from flask.json.provider import DefaultJSONProvider

CENT = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    """An amount as a Decimal with exactly two decimals (None stays None): 300 → 300.00."""
    if value is None:
        return None
    if type(value) is not Decimal:
        value = Decimal(str(value))
    elif value.as_tuple().exponent == -2:  # as Numeric(10, 2) columns come back
        return value
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class OcmsJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider writing with simplejson: Decimals as numbers, keys unsorted."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        # simplejson's own handling of namedtuples as arrays would differ from json's (lists of fields too).
        kwargs.setdefault("namedtuple_as_object", False)
        return simplejson.dumps(obj, use_decimal=True, **kwargs)


__all__ = ["OcmsJSONProvider", "money", "CENT"]
