"""Administration: reload the rules (admin key only)."""
from __future__ import annotations

from flask import g
from marshmallow import Schema, fields

from api.decisions.service import get_rules
from api.web.auth import require_key
from api.web.smorest import ADMIN_KEY, Blueprint

from .rulesets import ActiveSchema

blp = Blueprint("admin", __name__, url_prefix="/v1/admin", description="Administration (admin key)")


class ReloadSchema(Schema):
    changed = fields.Boolean(metadata={"description": "false if the directory was unchanged"})
    generation = fields.Integer(metadata={"description": "shared rules generation (ocms_rules_state)"})
    active = fields.Nested(ActiveSchema)
    lastRejected = fields.Dict(allow_none=True)


@blp.route("/rules/reload", methods=["POST"])
@blp.response(200, ReloadSchema)
@blp.alt_response(401, description="Not the admin key (OCMS-4001)")
@blp.doc(security=ADMIN_KEY)
@blp.alt_response(422, description="Rules rejected (OCMS-4022), every error listed; the old rules keep serving")
@require_key("admin")
def reload_rules():
    """Validate the configured rules directory and swap it in, in this and every other worker.

    Always the configured ``OCMS_RULES_DIR``: the endpoint takes no path, so a
    key holder cannot point the service at an arbitrary directory.
    """
    return get_rules().reload(updated_by=getattr(g, "caller", None))
