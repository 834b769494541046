"""REPCCS and CES webhooks that create notices (OCMS 10 §3.2, §3.3).

* ``POST /v1/repccsWebhook`` (REPCCS key): 200 OCMS-2000 "OK"; every refusal
  is 400 OCMS-4000 (missing/invalid fields, "Duplicate notice detected").
* ``POST /v1/cesWebhook-create-notice`` (CES key): 200 OCMS-2000 "Resource
  created successfully"; 400 OCMS-4000 for invalid fields or subsystem label;
  226 OCMS-2026 for "Notice no Already exists" and "Invalid Offence Rule Code".

Both: 401 OCMS-4001 without the system's key; 500 OCMS-5000 when the database
fails (nothing written; the caller retries). The body is read here rather
than by a webargs schema because the specs' messages differ per webhook
(:func:`api.advisory.validate_payload`); the schemas still document the
payloads in OpenAPI.
"""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from api.database import get_db
from api.decisions.service import get_rules
from api.web.auth import require_key
from api.web.errors import ApiError, bad_request, unsupported_media_type
from api.web.smorest import Blueprint, ErrorEnvelopeSchema

from . import IntakeDeps, NoticeNumberAllocator, receive_notice
from .payloads import CesPayloadSchema, RepccsPayloadSchema

blp = Blueprint("advisory", __name__, url_prefix="/v1", description="Advisory Notices: REPCCS and CES notice intake")

EXTENSION = "ocms.advisory"
SUBSCRIPTION_KEY = [{"subscriptionKey": []}]


def intake_deps() -> IntakeDeps:
    """This app's intake dependencies (one notice-number allocator per process); tests may replace them."""
    deps = current_app.extensions.get(EXTENSION)
    if deps is None:
        block = int(current_app.config.get("OCMS_NOTICE_NO_BLOCK") or 20)
        deps = current_app.extensions.setdefault(EXTENSION, IntakeDeps(NoticeNumberAllocator(get_db().engine, block)))
    return deps


def _json_body() -> object:
    # The strict JSON layer refuses malformed bodies itself (400 naming the field); here only a missing one.
    if not request.is_json and request.get_data(cache=True):
        raise unsupported_media_type()  # the one 415 of every JSON route (api/web/errors.py)
    body = request.get_json() if request.is_json else None
    if body is None:
        raise bad_request("Malformed JSON", [{"field": "body", "message": "request body is not valid JSON"}])
    return body


def _receive(source: str):
    result = receive_notice(source, _json_body(), database=get_db(), registry=get_rules().registry, deps=intake_deps(),
                            request_id=getattr(g, "request_id", None), caller=getattr(g, "caller", None))
    resp = jsonify(result.response())
    resp.status_code = result.status
    resp.headers["Server-Timing"] = result.timings.header()
    return resp


def _doc(schema, ok_message: str, extra: dict) -> dict:
    envelope = {"application/json": {"schema": ErrorEnvelopeSchema}}
    extra = {code: {**r, "content": envelope} for code, r in extra.items()}
    responses = {
        "200": {"description": f"Notice created (or a repeat of its transactionId answered): OCMS-2000 "
                               f"\"{ok_message}\"", "content": envelope},
        "400": {"description": "OCMS-4000: missing or invalid fields (each named)", "content": envelope},
        "401": {"description": "OCMS-4001: missing or wrong Ocp-Apim-Subscription-Key", "content": envelope},
        "500": {"description": "OCMS-5000: database failure, nothing written; retry", "content": envelope},
        **extra,
    }
    return {"security": SUBSCRIPTION_KEY, "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": responses}


@blp.route("/repccsWebhook", methods=["POST"])
@blp.doc(**_doc(RepccsPayloadSchema, "OK", {"400": {"description": "OCMS-4000: missing/invalid fields, or "
                                                               "\"Duplicate notice detected\""}}))
@require_key("repccs")
def repccs_webhook():
    """Receive a notice from REPCCS (anFlag disregarded; OCMS decides AN itself)."""
    return _receive("REPCCS")


@blp.route("/cesWebhook-create-notice", methods=["POST"])
@blp.doc(**_doc(CesPayloadSchema, "Resource created successfully",
                {"226": {"description": "OCMS-2026: \"Notice no Already exists\" or \"Invalid Offence Rule Code\""}}))
@require_key("ces")
def ces_webhook():
    """Receive a notice from CES (anFlag Y from an EHT subsystem: PS-ANS without qualification)."""
    return _receive("CES")


__all__ = ["blp", "intake_deps", "ApiError"]
