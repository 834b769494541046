"""Request and response schemas of PLUS API 4 (technical spec v1.1 §API 4)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.web.fields import NoticeNo, StrictDate


class QueryNoticeInfoRequestSchema(Schema):
    noticeNumbers = fields.List(
        NoticeNo(), required=True, validate=validate.Length(min=1),
        metadata={"description": "notice numbers (1-10 letters and digits, trimmed and upper-cased), each once, at most 10 (BATCH_LIMIT/PLUS)",
                  "example": ["500400058A", "500400059B"]})
    paymentDueDate = StrictDate(required=True, metadata={"description": "yyyy-MM-dd", "example": "2024-01-15"})

    @validates_schema(skip_on_field_errors=True)
    def _unique_notice_numbers(self, data, **kwargs):
        first: dict[str, int] = {}
        errors = {}
        for i, no in enumerate(data["noticeNumbers"]):
            j = first.setdefault(no, i)
            if j != i:
                errors[i] = [f"duplicate of noticeNumbers.{j} ({no})"]
        if errors:
            raise ValidationError({"noticeNumbers": errors})


class NoticeResultSchema(Schema):
    noticeNo = fields.String()
    appCode = fields.String(metadata={"description": "OCMS-2000 OK, OCMS-4003 ALREADY_PAID, OCMS-4004 NOT_FOUND "
                                                     "(from the ruleset plus_notice_update)"})
    status = fields.String(metadata={"enum": ["OK", "ALREADY_PAID", "NOT_FOUND"]})


class QueryNoticeInfoResponseSchema(Schema):
    updatedCount = fields.Integer()
    failedCount = fields.Integer(metadata={"description": "ALREADY_PAID + NOT_FOUND"})
    notices = fields.List(fields.Nested(NoticeResultSchema), metadata={"description": "one per notice sent, in order"})


__all__ = ["QueryNoticeInfoRequestSchema", "NoticeResultSchema", "QueryNoticeInfoResponseSchema"]
