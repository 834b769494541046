"""VIP vehicle notices for the Staff Portal (OCMS 14): revive TS-OLD / TS-CLV, see a notice's suspensions.

* ``POST /v1/vip/revival`` (JWT, role OIC) — revive the TS-OLD or TS-CLV of up to 500 notices:
  ``{"noticeNumbers": ["500400058A"], "revivalReason": "INV", "remarks": "Investigation completed"}``
  → 200 with one result per notice (REVIVED with the next stage, or NOT_REVIVED with the code);
  an unknown reason, OTH without remarks, or bad input → 400 OCMS-4000 naming the field, nothing written;
  more than 500 notices → 413 OCMS-4013; missing/wrong JWT → 401 OCMS-4001; a valid JWT without role OIC →
  403 OCMS-4003.
* ``GET /v1/vip/notices/<noticeNo>/suspensions`` (any Staff Portal JWT) — every suspension of the
  notice with its revival (who, when, why), oldest first; 404 OCMS-4004 for an unknown notice.
"""
from __future__ import annotations

import re

from flask import g
from sqlalchemy import select

from api.database import get_db
from api.decisions.service import get_rules
from api.web.auth import require_jwt
from api.web.errors import check_batch_limit, not_found
from api.web.smorest import Blueprint
from repository.models import SuspendedNotice, ValidOffenceNotice
from repository.queries import get_int_parameter

from .revival import revive_by_officer
from .schemas import MAX_NOTICES, RevivalResponseSchema, RevivalSchema
from repository.identity import normalise_notice_no

blp = Blueprint("vip", __name__, url_prefix="/v1/vip", description="VIP vehicle notices (Staff Portal, OCMS 14)")

#: Staff Portal roles that may revive suspensions (OCMS 14 tab 1 step 8: the OIC).
REVIVAL_ROLES = ("OIC",)
JWT = [{"staffPortalJwt": []}]
NOTICE_PATTERN = re.compile(r"[A-Z0-9]{1,10}")


@blp.route("/revival", methods=["POST"])
@require_jwt(REVIVAL_ROLES)  # before the body is parsed: no validation details for unknown callers
@blp.arguments(RevivalSchema)
@blp.response(200, RevivalResponseSchema)
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.alt_response(413, description="More than 500 notices (OCMS-4013)")
@blp.doc(security=JWT)
def vip_revival(body: dict):
    """Revive the TS-OLD / TS-CLV of the notices; who (the JWT's sub), when and why go into the suspension row."""
    db = get_db()
    with db.session() as s:
        limit = get_int_parameter(s, "BATCH_LIMIT", "VIP_REVIVAL", MAX_NOTICES)
    check_batch_limit(body["noticeNumbers"], limit, "noticeNumbers")
    with db.unit_of_work() as uow:
        out = revive_by_officer(uow, get_rules().registry, body["noticeNumbers"], body["revivalReason"],
                                body["remarks"], g.jwt_claims["sub"], g.request_id, g.caller)
        uow.commit()
    return out


@blp.route("/notices/<string:notice_no>/suspensions", methods=["GET"])
@require_jwt()
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(404, description="Unknown notice (OCMS-4004)")
@blp.doc(security=JWT)
def vip_notice_suspensions(notice_no: str):
    """Every suspension of a notice with its revival (who, when, why), oldest first."""
    notice_no = normalise_notice_no(notice_no)
    if not NOTICE_PATTERN.fullmatch(notice_no):
        raise not_found("Notice not found", [{"field": "noticeNo", "message": "not a notice number"}])
    S = SuspendedNotice
    with get_db().session() as s:
        if s.get(ValidOffenceNotice, notice_no) is None:
            raise not_found(f"Notice {notice_no} not found")
        rows = s.scalars(select(S).where(S.notice_no == notice_no).order_by(S.sr_no)).all()
        return {"noticeNo": notice_no, "suspensions": [{
            "srNo": r.sr_no, "suspensionType": r.suspension_type, "reasonOfSuspension": r.reason_of_suspension,
            "dateOfSuspension": r.date_of_suspension.isoformat(),
            "dueDateOfRevival": r.due_date_of_revival.isoformat() if r.due_date_of_revival else None,
            "suspensionRemarks": r.suspension_remarks,
            "dateOfRevival": r.date_of_revival.isoformat() if r.date_of_revival else None,
            "revivalReason": r.revival_reason, "officerAuthorisingRevival": r.officer_authorising_revival,
            "revivalRemarks": r.revival_remarks} for r in rows]}
