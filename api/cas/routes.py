"""CAS → OCMS endpoints (CAS-OCMS-PLUS technical spec v1.1, APIs 1 and 2), CAS's subscription key only.

* ``POST /v1/ocms/cas-getPaymentStatus`` — payment status of up to 500 notices; query only.
* ``POST /v1/ocms/cas-updateCourtNotices`` — court data of up to 500 notices, applied to the
  court notices in one transaction; a result per notice (see :mod:`api.cas.court_notices`).

Both: missing/wrong key → 401 OCMS-4001; bad payload → 400 OCMS-4000 naming each field
(``noticeNumbers.3``, ``notices.0.lastProcessingDate``); more notices than ``BATCH_LIMIT/CAS``
(default 500) → 413 OCMS-4013. A refused request changes nothing.
"""
from __future__ import annotations

from flask import g

from api.database import get_db, run_in_transaction
from api.decisions.service import get_rules
from api.web.auth import require_key
from api.web.errors import check_batch_limit
from api.web.request_id import current_request_id
from api.web.smorest import Blueprint

from .court_notices import update_court_notices
from .payment_status import cas_batch_limit, get_payment_status
from .schemas import (
    CourtNoticesRequestSchema,
    CourtNoticesResponseSchema,
    PaymentStatusRequestSchema,
    PaymentStatusResponseSchema,
)

blp = Blueprint("cas", __name__, url_prefix="/v1/ocms", description="CAS → OCMS: payment status, court notices")

CAS_KEY = [{"subscriptionKey": []}]


# ---- API 1 -------------------------------------------------------------------------------
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
    caller, request_id = getattr(g, "caller", None), current_request_id()

    def work(uow, attempt):
        check_batch_limit(body["notices"], cas_batch_limit(uow.session), "notices")
        return update_court_notices(uow.session, registry, body["notices"], caller=caller, request_id=request_id)
    return run_in_transaction(get_db(), work, what="CAS API 2")
