"""PLUS → OCMS endpoint via IZ-APIM (CAS-OCMS-PLUS technical spec v1.1, API 4), PLUS's subscription key only.

* ``POST /v1/plus-queryNoticeInfo`` — set the payment due date of up to 10
  notices; a result per notice (see :mod:`api.plus.notice_info`).

Missing/wrong key → 401 OCMS-4001 (checked before the body is read); bad
payload → 400 OCMS-4000 naming each field (``noticeNumbers.3``,
``paymentDueDate``); more notices than ``BATCH_LIMIT/PLUS`` (default 10) →
413 OCMS-4013. A refused request changes nothing.
"""
from __future__ import annotations

from flask import g

from api.database import get_db, run_in_transaction
from api.decisions.service import get_rules
from api.web.auth import require_key
from api.web.errors import check_batch_limit
from api.web.request_id import current_request_id
from api.web.smorest import Blueprint

from .notice_info import plus_batch_limit, update_notice_info
from .schemas import QueryNoticeInfoRequestSchema, QueryNoticeInfoResponseSchema

blp = Blueprint("plus", __name__, url_prefix="/v1", description="PLUS → OCMS via IZ-APIM: notice payment due date")

PLUS_KEY = [{"subscriptionKey": []}]


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
    caller, request_id = getattr(g, "caller", None), current_request_id()

    def work(uow, attempt):
        check_batch_limit(body["noticeNumbers"], plus_batch_limit(uow.session), "noticeNumbers")
        return update_notice_info(uow.session, registry, body["noticeNumbers"], body["paymentDueDate"],
                                  caller=caller, request_id=request_id)
    return run_in_transaction(get_db(), work, what="PLUS API 4")
