"""Change Processing Stage from PLUS (OCMS 15 §6), PLUS's subscription key only.

``POST /v1/plus/changeProcessingStage`` with the §6.4 parameters; the answer
lists the notices changed (``success``) and those refused with their code
(``failed``). A refused request (CFC from source 005: 404 OCMS-4004; a move
not in the stage map or a bad payload: 400 OCMS-4000 naming the field) and a
request whose notices all fail change nothing.
"""
from __future__ import annotations

from flask import g

from api.database import get_db, run_in_transaction
from api.decisions.service import get_rules
from api.web.auth import require_key
from api.web.errors import check_batch_limit
from api.web.smorest import Blueprint

from .plus import plus_change
from .schemas import MAX_NOTICES, PlusChangeResponseSchema, PlusChangeSchema

blp = Blueprint("plus_cps", __name__, url_prefix="/v1/plus", description="PLUS → OCMS: change processing stage")


@blp.route("/changeProcessingStage", methods=["POST"])
@require_key("plus")  # before the body is parsed: no validation details for unknown callers
@blp.arguments(PlusChangeSchema)
@blp.alt_response(401, description="Missing or wrong PLUS key (OCMS-4001)")
@blp.alt_response(404, description="CFC not allowed from PLUS (OCMS-4004)")
@blp.alt_response(413, description="More than 500 notices (OCMS-4013)")
@blp.doc(responses={"200": {"description": "The notices changed and those refused", "content": {"application/json": {"schema": PlusChangeResponseSchema}}}})
@blp.doc(security=[{"subscriptionKey": []}])
def plus_change_processing_stage(body: dict):
    """Change the processing stage of notices for PLUS (§6.2): success and failed lists."""
    check_batch_limit(body["noticeNo"], MAX_NOTICES, "noticeNo")
    registry, request_id, caller = get_rules().registry, g.request_id, g.caller
    return run_in_transaction(get_db(), lambda uow, attempt: plus_change(uow, registry, body, request_id, caller),
                              what="PLUS change processing stage")
