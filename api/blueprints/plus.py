"""PLUS → OCMS endpoint via IZ-APIM (CAS-OCMS-PLUS technical spec v1.1, API 4), PLUS's subscription key only.

* ``POST /v1/plus-queryNoticeInfo`` — set the payment due date of up to 10
  notices; a result per notice (see :mod:`api.plus_notice_info`).

Missing/wrong key → 401 OCMS-4001 (checked before the body is read); bad
payload → 400 OCMS-4000 naming each field (``noticeNumbers.3``,
``paymentDueDate``); more notices than ``BATCH_LIMIT/PLUS`` (default 10) →
413 OCMS-4013. A refused request changes nothing.
"""
from __future__ import annotations

from flask import g
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..auth import require_key
from ..database import get_db
from ..errors import check_batch_limit
from ..fields import StrictDate
from ..plus_notice_info import plus_batch_limit, update_notice_info
from ..request_id import current_request_id
from ..rules_service import get_rules
from ..smorest import Blueprint

blp = Blueprint("plus", __name__, url_prefix="/v1", description="PLUS → OCMS via IZ-APIM: notice payment due date")

PLUS_KEY = [{"subscriptionKey": []}]


class QueryNoticeInfoRequestSchema(Schema):
    noticeNumbers = fields.List(
        fields.String(validate=validate.Length(min=1, max=10)), required=True, validate=validate.Length(min=1),
        metadata={"description": "notice numbers (1-10 characters), each once, at most 10 (BATCH_LIMIT/PLUS)",
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


@blp.route("/plus-queryNoticeInfo", methods=["POST"])
@require_key("plus")  # before the body is parsed: no validation details for unknown callers
@blp.arguments(QueryNoticeInfoRequestSchema)
@blp.doc(security=PLUS_KEY, responses={"200": {
    "description": "A result per notice; updatedCount + failedCount = notices sent",
    "content": {"application/json": {"schema": QueryNoticeInfoResponseSchema}}}})
@blp.alt_response(400, description="Invalid request (OCMS-4000), each field named; nothing changed")
@blp.alt_response(401, description="Missing or wrong IZ-APIM key of PLUS (OCMS-4001)")
@blp.alt_response(413, description="More notices than BATCH_LIMIT/PLUS, default 10 (OCMS-4013)")
def query_notice_info_view(body: dict):
    """API 4: set the payment due date of PLUS's unpaid notices, in one transaction."""
    registry = get_rules().registry
    with get_db().unit_of_work() as uow:
        check_batch_limit(body["noticeNumbers"], plus_batch_limit(uow.session), "noticeNumbers")
        result = update_notice_info(uow.session, registry, body["noticeNumbers"], body["paymentDueDate"],
                                    caller=getattr(g, "caller", None), request_id=current_request_id())
        uow.commit()
    return result
