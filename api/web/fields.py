"""Marshmallow fields shared by the API's schemas: identity fields, and limits derived from the column types.

Identity fields (DESIGN.md §10, :mod:`repository.identity`): every schema that
takes a vehicle number, a notice number or an enumerated code uses one of
these, so one vehicle is one vehicle whatever the caller's case or spacing:

* :class:`VehicleNo` — :func:`repository.identity.normalise_vehicle_no`: NFKC, invisible (Cf) characters and
  whitespace removed everywhere, upper-cased (``"szz 7001a"``, ``"ＳＺＺ７００１Ａ"``, ``"SZZ\u200b7001A"`` → ``SZZ7001A``);
* :class:`NoticeNo` — trimmed, upper-cased, then 1-10 letters and digits (else "Not a valid notice number");
* :class:`Code` — trimmed, upper-cased (stage codes, vehicle type and category, Y/N flags, reason codes …),
  so ``OneOf``/``Regexp`` validators see ``"LB"`` whether ``"lb"`` or ``" LB "`` was sent.

Length and choice validators run on the normalised value. :data:`NORMALISED_FIELDS`
lists them for :mod:`api.cas.validation`'s fast path.


A value that passes a schema must fit where it goes, so the limits come from
the columns themselves rather than from copies of their widths:

* :func:`column_text` — a string no longer than its ``String(n)`` column.
* :func:`column_integer` — a whole JSON number (not ``"1"``, not ``true``) within
  the column's range: ``Integer`` ±2,147,483,647, ``BigInteger`` ±2⁶³−1.
* :func:`column_amount_range` — 0 up to the largest value of a ``Numeric(p, s)``
  column (``Numeric(10, 2)``: 99,999,999.99).
* :func:`id_max` — the largest id of an integer key, for path converters
  (``/reports/<int(max=…):report_id>``): a larger id cannot exist, so it is 404.
* :class:`StrictDate` — ``yyyy-MM-dd`` and inside the plausible window
  [``OCMS_EARLIEST_DATE``, ``OCMS_LATEST_DATE``] (default 1990-01-01 to 2099-12-31),
  so no date arithmetic (report ranges, revival dates) can overflow.
* :class:`EventDateTime` — the time of something that has happened (an offence, a
  record's creation): ISO 8601 without an offset, not before
  ``OCMS_EARLIEST_DATE`` and at most ``OCMS_FUTURE_TOLERANCE_HOURS`` (24) ahead of now.

Text itself (NUL, control characters, lone surrogates) is refused earlier, by
the JSON layer and the query-string check (:mod:`api.web.json`, :mod:`api.web.limits`).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Callable

from flask import current_app, has_app_context
from marshmallow import fields, validate
from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger, String

from repository import business_time
from repository.identity import NOTICE_NO_PATTERN, normalise_code, normalise_notice_no, normalise_vehicle_no

#: The window used outside an app (the defaults of OCMS_EARLIEST_DATE / OCMS_LATEST_DATE / OCMS_FUTURE_TOLERANCE_HOURS).
DEFAULT_EARLIEST, DEFAULT_LATEST, DEFAULT_FUTURE_HOURS = dt.date(1990, 1, 1), dt.date(2099, 12, 31), 24.0


def _column(attr: Any):
    """The Column behind a model attribute (``ValidOffenceNotice.pp_name``) or a Column."""
    return getattr(attr, "property", None).columns[0] if hasattr(attr, "property") else attr


def max_length(attr: Any) -> int:
    """The width of a ``String(n)`` column."""
    col = _column(attr)
    if not isinstance(col.type, String) or col.type.length is None:
        raise TypeError(f"{col} is not a String(n) column")
    return col.type.length


def integer_bounds(attr: Any) -> tuple[int, int]:
    """The range of an integer column (BIGINT/INTEGER/SMALLINT as PostgreSQL stores them)."""
    col = _column(attr)
    t = col.type
    variant = getattr(t, "_variant_mapping", {}).get("postgresql")
    t = variant or t
    bits = 64 if isinstance(t, BigInteger) else 16 if isinstance(t, SmallInteger) else 32 if isinstance(t, Integer) else None
    if bits is None:
        raise TypeError(f"{col} is not an integer column")
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def id_max(attr: Any) -> int:
    """The largest value an integer key can hold (a path id above it is 404, never a database error)."""
    return integer_bounds(attr)[1]


def numeric_max(attr: Any) -> Decimal:
    """The largest value of a ``Numeric(p, s)`` column: ``Numeric(10, 2)`` → 99999999.99."""
    col = _column(attr)
    t = col.type
    if not isinstance(t, Numeric) or t.precision is None:
        raise TypeError(f"{col} is not a Numeric(p, s) column")
    scale = t.scale or 0
    return (Decimal(10) ** (t.precision - scale) - Decimal(1).scaleb(-scale)).quantize(Decimal(1).scaleb(-scale))


def column_text(attr: Any, *, min_length: int = 0, **kwargs) -> fields.String:
    """A string field no longer than the column ``attr`` (``kwargs`` go to ``fields.String``)."""
    extra = kwargs.pop("validate", None)
    validators = [validate.Length(min=min_length, max=max_length(attr))]
    validators += extra if isinstance(extra, (list, tuple)) else ([extra] if extra else [])
    return fields.String(validate=validators, **kwargs)


def column_integer(attr: Any, *, minimum: int | None = None, **kwargs) -> fields.Integer:
    """A strict integer field within the range of the column ``attr`` (and at least ``minimum``)."""
    lo, hi = integer_bounds(attr)
    return fields.Integer(strict=True, validate=validate.Range(min=lo if minimum is None else max(lo, minimum), max=hi),
                          **kwargs)


def column_amount_range(attr: Any) -> validate.Range:
    """0 to the largest value of the Numeric column ``attr``."""
    return validate.Range(min=Decimal(0), max=numeric_max(attr))


def _setting(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def date_window() -> tuple[dt.date, dt.date]:
    """The plausible window (earliest, latest) of every date the service accepts."""
    return _setting("OCMS_EARLIEST_DATE", DEFAULT_EARLIEST), _setting("OCMS_LATEST_DATE", DEFAULT_LATEST)


def latest_event_time(now: dt.datetime | None = None) -> dt.datetime:
    """The latest time something can have happened: now plus ``OCMS_FUTURE_TOLERANCE_HOURS``."""
    hours = float(_setting("OCMS_FUTURE_TOLERANCE_HOURS", DEFAULT_FUTURE_HOURS))
    return (now or business_time.now()) + dt.timedelta(hours=hours)  # business (SGT) time, as the columns hold



class StrictDate(fields.Date):
    """A date written exactly ``yyyy-MM-dd``, as the specs show it, inside the plausible window.

    Python's own parser also takes ``20240115`` and ``2024-W03-1``; callers
    sending those are told the expected format instead.
    """

    FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
    default_error_messages = {"invalid": "Not a valid date: expected yyyy-MM-dd.",
                              "window": "must be from {earliest} to {latest}"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self.FORMAT.match(value):
            raise self.make_error("invalid")
        day = super()._deserialize(value, attr, data, **kwargs)
        earliest, latest = date_window()
        if not earliest <= day <= latest:
            raise self.make_error("window", earliest=earliest.isoformat(), latest=latest.isoformat())
        return day


class EventDateTime(fields.DateTime):
    """The local time (no offset) of something that has happened: not before the window, not in the future.

    At most ``OCMS_FUTURE_TOLERANCE_HOURS`` ahead of now (clock skew), not
    before ``OCMS_EARLIEST_DATE``; an offset is refused (every column holds
    local time, DESIGN.md §10) unless ``local_only=False`` (then it is only
    converted to local time for the comparison).
    """

    default_error_messages = {
        "offset": "Send local (SGT) time without an offset, e.g. 2026-01-15T08:30:00.",
        "early": "must not be before {earliest}",
        "future": "must not be later than {latest} (now plus {hours:g} hours)",
    }

    def __init__(self, *args, local_only: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.local_only = local_only

    def _deserialize(self, value, attr, data, **kwargs):
        when = super()._deserialize(value, attr, data, **kwargs)
        if when.tzinfo is not None and self.local_only:
            raise self.make_error("offset")
        earliest = date_window()[0]
        try:
            local = business_time.to_business_time(when)
        except OverflowError:  # an offset that moves year 1 or 9999 off the calendar: outside the window anyway
            if when.year <= earliest.year:
                raise self.make_error("early", earliest=earliest.isoformat()) from None
            local = dt.datetime.max
        if local.date() < earliest:
            raise self.make_error("early", earliest=earliest.isoformat())
        latest = latest_event_time()
        if local > latest:
            raise self.make_error("future", latest=latest.replace(microsecond=0).isoformat(),
                                  hours=float(_setting("OCMS_FUTURE_TOLERANCE_HOURS", DEFAULT_FUTURE_HOURS)))
        return when


class WindowDateTime(fields.DateTime):
    """A date and time (planned or past) inside the plausible date window; an offset is converted to local time."""

    default_error_messages = {"window": "must be from {earliest} to {latest}"}

    def _deserialize(self, value, attr, data, **kwargs):
        when = super()._deserialize(value, attr, data, **kwargs)
        earliest, latest = date_window()
        day = when.date()
        if not earliest <= day <= latest:
            raise self.make_error("window", earliest=earliest.isoformat(), latest=latest.isoformat())
        return when


class NormalisedString(fields.String):
    """A string normalised (:attr:`normalise`) before it is checked (:attr:`pattern`) and validated."""

    #: The normalisation, from :mod:`repository.identity`.
    normalise: Callable[[str], str] = staticmethod(lambda v: v)
    #: What the normalised value must match (fullmatch), if anything.
    pattern: re.Pattern | None = None
    default_error_messages = {"format": "Not a valid value."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = type(self).normalise(super()._deserialize(value, attr, data, **kwargs))
        if self.pattern is not None and not self.pattern.match(text):
            raise self.make_error("format")
        return text


class VehicleNo(NormalisedString):
    """A vehicle number, normalised by :func:`repository.identity.normalise_vehicle_no` (``" szz 7001a"`` → ``SZZ7001A``)."""

    normalise = staticmethod(normalise_vehicle_no)


class NoticeNo(NormalisedString):
    """A notice number: trimmed, upper-cased, then 1-10 letters and digits (``" 500400058a"`` → ``500400058A``)."""

    normalise = staticmethod(normalise_notice_no)
    pattern = NOTICE_NO_PATTERN
    default_error_messages = {"format": "Not a valid notice number: 1-10 letters and digits, e.g. 500400058A."}


class Code(NormalisedString):
    """An enumerated code (stage, type, category, flag, reason): trimmed and upper-cased."""

    normalise = staticmethod(normalise_code)


#: The field classes :mod:`api.cas.validation` may compile for its fast path.
NORMALISED_FIELDS = (VehicleNo, NoticeNo, Code)

__all__ = ["Code", "EventDateTime", "NORMALISED_FIELDS", "NormalisedString", "NoticeNo", "StrictDate",
           "VehicleNo", "WindowDateTime", "column_amount_range", "column_integer", "column_text", "date_window",
           "id_max", "integer_bounds", "latest_event_time", "max_length", "numeric_max"]
