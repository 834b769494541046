"""Marshmallow fields shared by the API's schemas.

Identity fields (DESIGN.md §10, :mod:`repository.identity`): every schema that
takes a vehicle number, a notice number or an enumerated code uses one of
these, so one vehicle is one vehicle whatever the caller's case or spacing:

* :class:`VehicleNo` — whitespace removed everywhere, upper-cased (``"szz 7001a"`` → ``SZZ7001A``);
* :class:`NoticeNo` — trimmed, upper-cased, then 1-10 letters and digits (else "Not a valid notice number");
* :class:`Code` — trimmed, upper-cased (stage codes, vehicle type and category, Y/N flags, reason codes …),
  so ``OneOf``/``Regexp`` validators see ``"LB"`` whether ``"lb"`` or ``" LB "`` was sent.

Length and choice validators run on the normalised value. :data:`NORMALISED_FIELDS`
lists them for :mod:`api.cas.validation`'s fast path.
"""
from __future__ import annotations

import re
from typing import Callable

from marshmallow import fields

from repository.identity import NOTICE_NO_PATTERN, normalise_code, normalise_notice_no, normalise_vehicle_no


class StrictDate(fields.Date):
    """A date written exactly ``yyyy-MM-dd``, as the specs show it.

    Python's own parser also takes ``20240115`` and ``2024-W03-1``; callers
    sending those are told the expected format instead.
    """

    FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
    default_error_messages = {"invalid": "Not a valid date: expected yyyy-MM-dd."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self.FORMAT.match(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


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
    """A vehicle number: every whitespace character removed, letters upper-cased (``" szz 7001a"`` → ``SZZ7001A``)."""

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

__all__ = ["Code", "NORMALISED_FIELDS", "NormalisedString", "NoticeNo", "StrictDate", "VehicleNo"]
