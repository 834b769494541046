"""The app's JSON provider: Decimal amounts as exact JSON numbers, keys in the order built.

The specs show money as ``300.00`` and ``0.00``. The standard library's
``json`` cannot write a Decimal as a number (Flask's default writes it as the
string ``"300.00"``), so responses are written with simplejson
(``use_decimal=True``): ``Decimal("300.00")`` becomes ``300.00``. Use cases
quantize amounts with :func:`money` so every amount carries two decimals.

Keys keep the order the view built them in (the specs list response fields
in a fixed order); Flask's default sorts them. Everything else (dates,
dataclasses, UUIDs) is rendered as Flask's default provider does.

Request bodies are parsed by the standard library (floats, not Decimals), but
strictly, once, here (:func:`strict_loads`, the provider's ``loads``, which
``request.get_json`` and the webargs parser both use): a body is refused with
:class:`JSONInputError` (400 OCMS-4000 naming the field) when it is not UTF-8,
not JSON, has an object with the same key twice (``{"noticeNo": "A",
"noticeNo": "B"}`` is not "last wins"), nests deeper than
``OCMS_JSON_MAX_DEPTH`` (default :data:`DEFAULT_MAX_DEPTH`), holds NaN,
Infinity or a number too large for a float, or a string (value or key) with a
NUL or other control character (TAB, LF and CR excepted) or an unpaired
surrogate (``"\\ud800"``): no such value can be stored, compared or written
into a report safely.
"""
from __future__ import annotations

import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import simplejson
from flask.json.provider import DefaultJSONProvider

CENT = Decimal("0.01")

#: How deep objects and arrays may nest in a request body (``{"notices": [{...}]}`` is 3).
DEFAULT_MAX_DEPTH = 20

#: Characters no text field may hold: C0 controls but TAB, LF, CR; unpaired UTF-16 surrogates.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONInputError(ValueError):
    """A request body (or a JSON file) refused by :func:`strict_loads`; ``field`` names where (``notices.0.noticeNo``)."""

    def __init__(self, message: str, field: str = "body"):
        super().__init__(message)
        self.message = message
        self.field = field


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be accepted as text (a NUL, a control character, an unpaired surrogate), or None."""
    m = FORBIDDEN_CHARACTERS.search(value)
    if m is None:
        return None
    ch = m.group()
    if "\ud800" <= ch <= "\udfff":
        return f"contains an unpaired surrogate (U+{ord(ch):04X})"
    return "contains a NUL character" if ch == "\x00" else f"contains the control character U+{ord(ch):04X}"


class _DuplicateKeys(dict):
    """An object that had a key twice (found by the walk, which knows its path)."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        out = _DuplicateKeys(d)
        out.duplicates = [k for k, _ in pairs if k in seen or seen.add(k)]
        return out
    return d


def _constant(name: str):
    raise JSONInputError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONInputError(f"the number {text[:40]} is too large")
    return value


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _walk(value: Any, max_depth: int, strings: bool) -> None:
    """Refuse duplicate keys, nesting deeper than ``max_depth`` and (``strings``) forbidden characters."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > max_depth:
            raise JSONInputError(f"nested deeper than {max_depth} levels", path or "body")
        if type(node) is dict or type(node) is _DuplicateKeys:
            if type(node) is _DuplicateKeys:
                key = node.duplicates[0]
                raise JSONInputError(f"the key {key!r} appears more than once", _join(path, key))
            items = node.items()
        else:
            items = enumerate(node)
        for k, v in items:
            if strings and type(k) is str:
                problem = text_problem(k)
                if problem:
                    raise JSONInputError(f"a key {problem}", path or "body")
            t = type(v)
            if t is dict or t is list or t is _DuplicateKeys:
                stack.append((v, _join(path, k), depth + 1))
            elif strings and t is str:
                problem = text_problem(v)
                if problem:
                    raise JSONInputError(f"text {problem}", _join(path, k))


def strict_loads(data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse a JSON document strictly (see the module docstring); raise :class:`JSONInputError`."""
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")  # strict: UTF-8-encoded surrogates are refused here
        except UnicodeDecodeError as e:
            raise JSONInputError(f"not valid UTF-8 (byte {e.start})") from None
        raw_surrogates, backslash = False, b"\\" in data  # memchr: far cheaper than a search of the text
    else:
        text = data
        raw_surrogates = not text.isascii() and _SURROGATE.search(text) is not None
        backslash = "\\" in text
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_finite)
    except JSONInputError:
        raise
    except RecursionError:
        raise JSONInputError(f"nested deeper than {max_depth} levels") from None
    except ValueError as e:
        raise JSONInputError(f"not valid JSON: {e}"[:200]) from None
    if isinstance(value, (dict, list)):
        # Forbidden characters can only come from escapes - \u, and \b / \f for backspace and form feed -
        # (strict JSON refuses raw control characters), or from raw surrogates in a str given to us.
        escapes = backslash and ("\\u" in text or "\\b" in text or "\\f" in text)
        _walk(value, max_depth, strings=escapes or raw_surrogates)
    elif isinstance(value, str) and text_problem(value):
        raise JSONInputError(f"text {text_problem(value)}")
    return value


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

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a request body with :func:`strict_loads` (depth limit ``OCMS_JSON_MAX_DEPTH``)."""
        return strict_loads(s, int(self._app.config.get("OCMS_JSON_MAX_DEPTH") or DEFAULT_MAX_DEPTH))


__all__ = ["CENT", "DEFAULT_MAX_DEPTH", "FORBIDDEN_CHARACTERS", "JSONInputError", "OcmsJSONProvider", "money",
           "strict_loads", "text_problem"]
