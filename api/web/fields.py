"""Marshmallow fields shared by the API's schemas."""
from __future__ import annotations

import re

from marshmallow import fields


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


__all__ = ["StrictDate"]
