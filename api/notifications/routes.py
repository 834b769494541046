"""Staff Portal endpoints of the AN notification flow's manual review queue (OCMS 10 §3.4-3.6), JWT with role OIC.

* ``GET /v1/an/notifications/reviews[?status=OPEN|RESOLVED|CLOSED|ALL&reviewType=&noticeNo=&limit=&offset=]`` —
  the items with their reason, the notification's step results and the notice's details, oldest first;
* ``GET /v1/an/notifications/reviews/<id>`` — one item;
* ``POST /v1/an/notifications/reviews/<id>/resolve`` ``{"action": "RETRY"|"CLOSE", "remarks": "..."}`` — retry the
  flow from the failed step, or close the item (remarks required); 404 OCMS-4004 unknown item, 409 OCMS-4009
  already resolved, 400 OCMS-4000 naming the field.
"""
from __future__ import annotations

from flask import g
from marshmallow import RAISE

from api.database import get_db
from api.web.auth import require_jwt
from api.web.errors import not_found
from api.web.smorest import Blueprint

from .review import get_review, list_reviews, resolve_review
from .schemas import ResolveSchema, ReviewQuerySchema

blp = Blueprint("an_notifications", __name__, url_prefix="/v1/an/notifications",
                description="Staff Portal: the manual review queue of AN notifications (OCMS 10 §3.4-3.6)")
STAFF_JWT = [{"staffPortalJwt": []}]
OIC = ("OIC",)
MAX_ID = 2_147_483_647


def _review_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise not_found("Review item not found", [{"field": "reviewId", "message": "no such review item"}])
    return value


def _officer() -> str:
    return str((getattr(g, "jwt_claims", None) or {}).get("sub") or getattr(g, "caller", "") or "OIC")


@blp.route("/reviews", methods=["GET"])
@require_jwt(OIC)
@blp.arguments(ReviewQuerySchema, location="query", unknown=RAISE)
@blp.doc(security=STAFF_JWT)
@blp.response(200, description="{total, items: [...]}, oldest first")
@blp.alt_response(400, description="Bad query (OCMS-4000), field named")
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
def list_view(query: dict):
    """AN notifications waiting for staff (or every item of a status)."""
    with get_db().session() as s:
        return list_reviews(s, query["status"], query["reviewType"], query["noticeNo"], query["limit"],
                            query["offset"])


@blp.route("/reviews/<int:review_id>", methods=["GET"])
@require_jwt(OIC)
@blp.doc(security=STAFF_JWT)
@blp.response(200, description="The item with its reason, the notification's results and the notice")
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.alt_response(404, description="No such item (OCMS-4004)")
def get_view(review_id: int):
    """One review item."""
    with get_db().session() as s:
        return get_review(s, _review_id(review_id))


@blp.route("/reviews/<int:review_id>/resolve", methods=["POST"])
@require_jwt(OIC)
@blp.arguments(ResolveSchema)
@blp.doc(security=STAFF_JWT)
@blp.response(200, description="The item, RESOLVED (the notice is pending notification again) or CLOSED")
@blp.alt_response(400, description="Bad action or remarks missing to close (OCMS-4000), field named")
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.alt_response(404, description="No such item (OCMS-4004)")
@blp.alt_response(409, description="Already resolved (OCMS-4009)")
def resolve_view(body: dict, review_id: int):
    """Retry the notification of the item's notice, or close the item with a remark."""
    review_id = _review_id(review_id)
    with get_db().unit_of_work() as uow:
        return resolve_review(uow, review_id, body["action"], body.get("remarks"), _officer())
