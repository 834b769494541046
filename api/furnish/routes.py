"""Furnish driver/hirer endpoints (OCMS 14 tab 4).

eService, internet zone, the ``eservice`` system's ``Ocp-Apim-Subscription-Key``:

* ``POST /v1/eservice/furnishApplication`` — submit a driver or hirer
  (:mod:`api.furnish.submission`): 200 ``{"success": true, "applicationId": "FA20260115001",
  "status": "PENDING_APPROVAL"}``; 400 OCMS-4000 naming the field (missing or
  malformed, wrong check letter, a stage where furnishing is not allowed, paid
  or permanently suspended); 404 OCMS-4004 unknown notice; 409 OCMS-4009 an
  application for the notice is already pending.
* ``GET /v1/eservice/furnishApplication/<applicationId>`` — its status (and the
  rejection reason, once rejected).

Staff Portal, JWT with role OIC (:mod:`api.furnish.review`):

* ``GET /v1/furnish/applications[?status=&queue=&noticeNo=&limit=&offset=]`` — the review queue;
* ``POST /v1/furnish/applications/<applicationId>/approve`` ``{"remarks": "..."}`` (remarks optional);
* ``POST /v1/furnish/applications/<applicationId>/reject`` ``{"remarks": "..."}`` (remarks required).
"""
from __future__ import annotations

import re

from flask import g
from marshmallow import RAISE

from api.database import get_db
from api.decisions.service import get_rules
from api.web.auth import require_jwt, require_key
from api.web.errors import not_found
from api.web.request_id import current_request_id
from api.web.smorest import Blueprint

from .review import approve_application, list_applications, reject_application
from .schemas import (
    ApplicationStatusSchema,
    FurnishDecisionSchema,
    FurnishRejectSchema,
    FurnishRequestSchema,
    FurnishResponseSchema,
    ReviewListQuerySchema,
)
from .submission import Particulars, application_status, submit_application

blp = Blueprint("furnish_eservice", __name__, url_prefix="/v1/eservice",
                description="eService (internet zone): furnish a driver or hirer (OCMS 14 tab 4)")
review_blp = Blueprint("furnish_review", __name__, url_prefix="/v1/furnish",
                       description="Staff Portal: the OIC's review of furnish applications (OCMS 14 tab 4)")

ESERVICE_KEY = [{"subscriptionKey": []}]
STAFF_JWT = [{"staffPortalJwt": []}]
OIC = ("OIC",)
APPLICATION_ID = re.compile(r"FA[0-9]{9,15}")


def _application_id(value: str) -> str:
    """A path's application id, trimmed and upper-cased; 404 for anything that cannot be one."""
    value = (value or "").strip().upper()
    if not APPLICATION_ID.fullmatch(value):
        raise not_found("Furnish application not found",
                        [{"field": "applicationId", "message": "an application id is FA followed by digits"}])
    return value


@blp.route("/furnishApplication", methods=["POST"])
@require_key("eservice")  # before the body is parsed: no validation details for unknown callers
@blp.arguments(FurnishRequestSchema)
@blp.doc(security=ESERVICE_KEY, responses={"200": {
    "description": "Submitted: the application waits for approval; the internet notice shows furnish pending",
    "content": {"application/json": {"schema": FurnishResponseSchema}}}})
@blp.alt_response(400, description="Invalid request, or the notice cannot be furnished (OCMS-4000), field named")
@blp.alt_response(401, description="Missing or wrong eService key (OCMS-4001)")
@blp.alt_response(404, description="No such notice (OCMS-4004)")
@blp.alt_response(409, description="An application for this notice is already pending approval (OCMS-4009)")
def submit_view(body: dict):
    """Submit a driver's or hirer's particulars for a notice."""
    p = body["particulars"]
    who = Particulars(p["idType"], p["idNumber"], p["name"], p["contactNo"], p.get("emailAddress"))
    registry = get_rules().registry
    with get_db().unit_of_work() as uow:
        return submit_application(uow, registry, body["noticeNo"], body["furnishType"], who,
                                  caller=getattr(g, "caller", None), request_id=current_request_id())


@blp.route("/furnishApplication/<application_id>", methods=["GET"])
@require_key("eservice")
@blp.doc(security=ESERVICE_KEY, responses={"200": {
    "description": "The application's status", "content": {"application/json": {"schema": ApplicationStatusSchema}}}})
@blp.alt_response(401, description="Missing or wrong eService key (OCMS-4001)")
@blp.alt_response(404, description="No such application (OCMS-4004)")
def status_view(application_id: str):
    """The status of a furnish application."""
    application_id = _application_id(application_id)
    with get_db().session() as s:
        found = application_status(s, application_id)
    if found is None:
        raise not_found("Furnish application not found",
                        [{"field": "applicationId", "message": f"no furnish application {application_id}"}])
    return found


@review_blp.route("/applications", methods=["GET"])
@require_jwt(OIC)
@review_blp.arguments(ReviewListQuerySchema, location="query", unknown=RAISE)
@review_blp.doc(security=STAFF_JWT)
@review_blp.response(200, description="{total, applications: [...]}, oldest first")
@review_blp.alt_response(400, description="Bad query (OCMS-4000), field named")
@review_blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@review_blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
def list_view(query: dict):
    """Furnish applications waiting for an OIC (or all of a status)."""
    with get_db().session() as s:
        return list_applications(s, query["status"], query["queue"], query["noticeNo"], query["limit"],
                                 query["offset"])


def _officer() -> str:
    return str((getattr(g, "jwt_claims", None) or {}).get("sub") or getattr(g, "caller", "") or "OIC")


@review_blp.route("/applications/<application_id>/approve", methods=["POST"])
@require_jwt(OIC)
@review_blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@review_blp.arguments(FurnishDecisionSchema)
@review_blp.doc(security=STAFF_JWT)
@review_blp.response(200, description="The application, APPROVED: new current offender, next stage set")
@review_blp.alt_response(404, description="No such application (OCMS-4004)")
@review_blp.alt_response(409, description="Already decided, or the notice can no longer be furnished (OCMS-4009)")
def approve_view(body: dict, application_id: str):
    """Approve a furnished driver or hirer."""
    application_id = _application_id(application_id)
    registry = get_rules().registry
    with get_db().unit_of_work() as uow:
        return approve_application(uow, registry, application_id, _officer(), body.get("remarks"),
                                   request_id=current_request_id(), caller=getattr(g, "caller", None))


@review_blp.route("/applications/<application_id>/reject", methods=["POST"])
@require_jwt(OIC)
@review_blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@review_blp.arguments(FurnishRejectSchema)
@review_blp.doc(security=STAFF_JWT)
@review_blp.response(200, description="The application, REJECTED; furnish pending cleared on the notice")
@review_blp.alt_response(400, description="No remarks (OCMS-4000)")
@review_blp.alt_response(404, description="No such application (OCMS-4004)")
@review_blp.alt_response(409, description="Already decided (OCMS-4009)")
def reject_view(body: dict, application_id: str):
    """Reject a furnished driver or hirer, with the reason."""
    application_id = _application_id(application_id)
    with get_db().unit_of_work() as uow:
        return reject_application(uow, application_id, _officer(), body["remarks"],
                                  request_id=current_request_id(), caller=getattr(g, "caller", None))
