"""CAS → OCMS endpoints (CAS-OCMS-PLUS technical spec v1.1, APIs 1 and 2), CAS's subscription key only.

* ``POST /v1/ocms/cas-getPaymentStatus`` — payment status of up to 500 notices; query only.
* ``POST /v1/ocms/cas-updateCourtNotices`` — court data of up to 500 notices, applied to the
  court notices in one transaction; a result per notice (see :mod:`api.cas_court_notices`).

Both: missing/wrong key → 401 OCMS-4001; bad payload → 400 OCMS-4000 naming each field
(``noticeNumbers.3``, ``notices.0.lastProcessingDate``); more notices than ``BATCH_LIMIT/CAS``
(default 500) → 413 OCMS-4013. A refused request changes nothing.
"""
from __future__ import annotations

from decimal import Decimal

from flask import g
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..auth import require_key
from ..cas_court_notices import update_court_notices
from ..cas_payment_status import cas_batch_limit, get_payment_status
from ..cas_validation import Amount, FastLoadSchema, StrictDate
from ..database import get_db
from ..errors import check_batch_limit
from ..request_id import current_request_id
from ..rules_service import get_rules
from ..smorest import Blueprint

blp = Blueprint("cas", __name__, url_prefix="/v1/ocms", description="CAS → OCMS: payment status, court notices")

CAS_KEY = [{"subscriptionKey": []}]
NOTICE_NO = validate.Length(min=1, max=10)
YES_NO = validate.OneOf(("Y", "N"))
STAGE = validate.Length(min=1, max=3)
MAX_AMOUNT = Decimal("99999999.99")  # Numeric(10, 2)


# ---- API 1 -------------------------------------------------------------------------------
class PaymentStatusRequestSchema(FastLoadSchema):
    noticeNumbers = fields.List(fields.String(validate=NOTICE_NO), required=True, validate=validate.Length(min=1),
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


@blp.route("/cas-getPaymentStatus", methods=["POST"])
@require_key("cas")  # before the body is parsed: no validation details for unknown callers
@blp.arguments(PaymentStatusRequestSchema)
@blp.doc(security=CAS_KEY, responses={"200": {
    "description": "The notices found (``{\"notices\": []}`` when none)",
    "content": {"application/json": {"schema": PaymentStatusResponseSchema}}}})
@blp.alt_response(400, description="Invalid request (OCMS-4000), each field named")
@blp.alt_response(401, description="Missing or wrong CAS key (OCMS-4001)")
@blp.alt_response(413, description="More notices than BATCH_LIMIT/CAS, default 500 (OCMS-4013)")
def get_payment_status_view(body: dict):
    """API 1: payment status of notices (query only)."""
    with get_db().session() as s:
        check_batch_limit(body["noticeNumbers"], cas_batch_limit(s), "noticeNumbers")
        return {"notices": get_payment_status(s, body["noticeNumbers"])}


# ---- API 2 -------------------------------------------------------------------------------
class CourtNoticeSchema(FastLoadSchema):
    """One notice of API 2: every column of the spec's UPDATE must be given (null clears it)."""

    noticeNo = fields.String(required=True, validate=NOTICE_NO)
    suspensionType = fields.String(required=True, allow_none=True, validate=validate.OneOf(("TS", "PS")))
    lastProcessingStage = fields.String(required=True, validate=STAGE)
    prevProcessingStage = fields.String(required=True, allow_none=True, validate=STAGE)
    nextProcessingStage = fields.String(required=True, allow_none=True, validate=STAGE)
    lastProcessingDate = StrictDate(required=True, metadata={"example": "2024-01-15"})
    prevProcessingDate = StrictDate(required=True, allow_none=True, metadata={"example": "2024-01-10"})
    nextProcessingDate = StrictDate(required=True, allow_none=True, metadata={"example": "2024-01-20"})
    atomsFlag = fields.String(required=True, allow_none=True, validate=YES_NO)
    amountPayable = Amount(required=True, allow_none=True, validate=validate.Range(min=0, max=MAX_AMOUNT),
                           metadata={"example": 300.00})
    paymentAcceptanceAllowed = fields.String(required=True, allow_none=True, validate=YES_NO)
    eprReasonOfSuspension = fields.String(required=True, allow_none=True, validate=STAGE)
    eprDateOfSuspension = StrictDate(required=True, allow_none=True, metadata={"example": "2024-01-15"})
    dayEnd = fields.String(validate=YES_NO, metadata={
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


@blp.route("/cas-updateCourtNotices", methods=["POST"])
@require_key("cas")  # before the body is parsed: no validation details for unknown callers
@blp.arguments(CourtNoticesRequestSchema)
@blp.doc(security=CAS_KEY, responses={"200": {
    "description": "A result per notice; updatedCount + failedCount + skippedCount = notices sent",
    "content": {"application/json": {"schema": CourtNoticesResponseSchema}}}})
@blp.alt_response(400, description="Invalid request (OCMS-4000), each field named; nothing changed")
@blp.alt_response(401, description="Missing or wrong CAS key (OCMS-4001)")
@blp.alt_response(413, description="More notices than BATCH_LIMIT/CAS, default 500 (OCMS-4013)")
def update_court_notices_view(body: dict):
    """API 2: apply CAS's court data to the court notices, in one transaction."""
    registry = get_rules().registry
    with get_db().unit_of_work() as uow:
        check_batch_limit(body["notices"], cas_batch_limit(uow.session), "notices")
        result = update_court_notices(uow.session, registry, body["notices"],
                                      caller=getattr(g, "caller", None), request_id=current_request_id())
        uow.commit()
    return result
