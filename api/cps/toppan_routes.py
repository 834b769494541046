"""Toppan automatic stage changes (OCMS 15 §7), Toppan's subscription key only.

``POST /v1/internal/toppan/changeProcessingStage`` with one batch
``{"batchId", "currentStage", "newStage", "noticeNumbers"}`` (see
:mod:`api.cps.toppan`); the answer is the §7.4 statistics. ``ocms jobs run
toppan-cps`` applies the same batches from files.
"""
from __future__ import annotations

from flask import g

from api.database import get_db, run_in_transaction
from api.decisions.service import get_rules
from api.web.auth import require_key
from api.web.smorest import Blueprint

from .schemas import ToppanRequestSchema, ToppanResponseSchema
from .toppan import update_batch

blp = Blueprint("toppan", __name__, url_prefix="/v1/internal/toppan", description="Toppan → OCMS: automatic CPS")


@blp.route("/changeProcessingStage", methods=["POST"])
@require_key("toppan")  # before the body is parsed: no validation details for unknown callers
@blp.arguments(ToppanRequestSchema)
@blp.alt_response(401, description="Missing or wrong Toppan key (OCMS-4001)")
@blp.doc(responses={"200": {"description": "The batch statistics (§7.4)", "content": {"application/json": {"schema": ToppanResponseSchema}}}})
@blp.doc(security=[{"subscriptionKey": []}])
def toppan_change_processing_stage(body: dict):
    """Apply one Toppan batch: skipped / MANUAL (stage only) / AUTOMATIC (stage and amount), §7.4 statistics."""
    registry, request_id, caller = get_rules().registry, g.request_id, g.caller
    stats = run_in_transaction(get_db(), lambda uow, attempt: update_batch(
        uow, registry, body["noticeNumbers"], body["currentStage"], body["newStage"], request_id=request_id,
        caller=caller), what="Toppan change processing stage")
    return {"batchId": body["batchId"], **stats}
