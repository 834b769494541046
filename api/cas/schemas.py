"""Request and response schemas of CAS APIs 1 and 2 (technical spec v1.1 §API 1, §API 2).

Requests load through :class:`.validation.FastLoadSchema` (a checked fast path for valid batches).
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.web.fields import Code, NoticeNo, max_length, numeric_max
from repository.models import ValidOffenceNotice

from .validation import Amount, FastLoadSchema, StrictDate

# Notice numbers and codes are normalised (trimmed, upper-cased) before they are checked: api/web/fields.py.
YES_NO = validate.OneOf(("Y", "N"))


STAGE = validate.Length(min=1, max=max_length(ValidOffenceNotice.last_processing_stage))


MAX_AMOUNT: Decimal = numeric_max(ValidOffenceNotice.amount_payable)  # Numeric(10, 2): 99999999.99


class PaymentStatusRequestSchema(FastLoadSchema):
    noticeNumbers = fields.List(NoticeNo(), required=True, validate=validate.Length(min=1),
                                metadata={"description": "notice numbers (1-10 characters), at most 500",
                                          "example": ["500400058A", "500400059B"]})


class PaymentStatusNoticeSchema(Schema):
    noticeNo = fields.String()
    suspensionType = fields.String(allow_none=True)
    crsReasonOfSuspension = fields.String(allow_none=True)
    eprReasonOfSuspension = fields.String(allow_none=True)
    paymentStatus = fields.String(allow_none=True)
    amountPayable = fields.Decimal(allow_none=True, metadata={"example": 300.00})
    amountPaid = fields.Decimal(allow_none=True, metadata={"example": 0.00})
    paymentAcceptanceAllowed = fields.String(allow_none=True)


class PaymentStatusResponseSchema(Schema):
    notices = fields.List(fields.Nested(PaymentStatusNoticeSchema),
                          metadata={"description": "the notices found, in request order; unknown ones are absent"})


class CourtNoticeSchema(FastLoadSchema):
    """One notice of API 2: every column of the spec's UPDATE must be given (null clears it)."""

    noticeNo = NoticeNo(required=True)
    suspensionType = Code(required=True, allow_none=True, validate=validate.OneOf(("TS", "PS")))
    lastProcessingStage = Code(required=True, validate=STAGE)
    prevProcessingStage = Code(required=True, allow_none=True, validate=STAGE)
    nextProcessingStage = Code(required=True, allow_none=True, validate=STAGE)
    lastProcessingDate = StrictDate(required=True, metadata={"example": "2024-01-15"})
    prevProcessingDate = StrictDate(required=True, allow_none=True, metadata={"example": "2024-01-10"})
    nextProcessingDate = StrictDate(required=True, allow_none=True, metadata={"example": "2024-01-20"})
    atomsFlag = Code(required=True, allow_none=True, validate=YES_NO)
    amountPayable = Amount(required=True, allow_none=True, validate=validate.Range(min=0, max=MAX_AMOUNT),
                           metadata={"example": 300.00})
    paymentAcceptanceAllowed = Code(required=True, allow_none=True, validate=YES_NO)
    eprReasonOfSuspension = Code(required=True, allow_none=True, validate=STAGE)
    eprDateOfSuspension = StrictDate(required=True, allow_none=True, metadata={"example": "2024-01-15"})
    dayEnd = Code(validate=YES_NO, metadata={
        "description": "DESIGN.md §10: only 'Y' notices are applied, 'N' ones come back SKIPPED; absent means 'Y'"})


class CourtNoticesRequestSchema(FastLoadSchema):
    notices = fields.List(fields.Nested(CourtNoticeSchema), required=True, validate=validate.Length(min=1),
                          metadata={"description": "at most 500 notices, each notice number once"})

    @validates_schema(skip_on_field_errors=True)
    def _unique_notice_numbers(self, data, **kwargs):
        first: dict[str, int] = {}
        errors = {}
        for i, n in enumerate(data["notices"]):
            j = first.setdefault(n["noticeNo"], i)
            if j != i:
                errors[i] = {"noticeNo": [f"duplicate of notices.{j}.noticeNo ({n['noticeNo']})"]}
        if errors:
            raise ValidationError({"notices": errors})


class CourtNoticeResultSchema(Schema):
    noticeNo = fields.String()
    appCode = fields.String(metadata={"description": "OCMS-2000 OK, OCMS-4004 NOT_FOUND, "
                                                     "OCMS-4009 NOT_COURT_NOTICE, OCMS-2004 SKIPPED"})
    status = fields.String(metadata={"enum": ["OK", "NOT_FOUND", "NOT_COURT_NOTICE", "SKIPPED"]})


class CourtNoticesResponseSchema(Schema):
    updatedCount = fields.Integer()
    failedCount = fields.Integer(metadata={"description": "NOT_FOUND + NOT_COURT_NOTICE"})
    skippedCount = fields.Integer(metadata={"description": "SKIPPED (dayEnd 'N')"})
    notices = fields.List(fields.Nested(CourtNoticeResultSchema), metadata={"description": "one per notice sent"})


__all__ = ["PaymentStatusRequestSchema", "PaymentStatusNoticeSchema", "PaymentStatusResponseSchema", "CourtNoticeSchema", "CourtNoticesRequestSchema", "CourtNoticeResultSchema", "CourtNoticesResponseSchema"]
