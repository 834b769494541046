"""What rules are in service: versions, hashes, the last rejected reload, each ruleset's rules."""
from __future__ import annotations

from marshmallow import Schema, fields

from api.decisions.service import get_rules
from api.web.auth import require_any_credential
from api.web.paths import for_callers
from api.web.smorest import ANY_CREDENTIAL, Blueprint

blp = Blueprint("rulesets", __name__, url_prefix="/v1/rulesets", description="Rulesets in service")


class RulesetStatusSchema(Schema):
    version = fields.String()
    hash = fields.String()


class ActiveSchema(Schema):
    hash = fields.String()
    loadedAt = fields.String()
    generation = fields.Integer(metadata={"description": "reloads in this worker"})
    rulesets = fields.Dict(keys=fields.String(), values=fields.Nested(RulesetStatusSchema))


class RulesStatusSchema(Schema):
    active = fields.Nested(ActiveSchema)
    lastRejected = fields.Dict(allow_none=True, metadata={"description": "the last refused reload and its errors"})


class RulesetSummarySchema(Schema):
    name = fields.String()
    title = fields.String()
    version = fields.String()
    hash = fields.String()
    source = fields.String()
    hitPolicy = fields.String()
    file = fields.String(metadata={"description": "the file's name in the rules directory"})
    facts = fields.Dict()
    lists = fields.Dict()
    parameters = fields.Dict()
    rules = fields.List(fields.Dict())
    default = fields.Dict()


@blp.route("")
@blp.response(200, RulesStatusSchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.doc(security=ANY_CREDENTIAL)
@require_any_credential()
def list_rulesets():
    """Active version and hash of every ruleset, and the last rejected reload attempt (no server paths)."""
    return for_callers(get_rules().registry.status())


@blp.route("/<name>")
@blp.response(200, RulesetSummarySchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.doc(security=ANY_CREDENTIAL)
@blp.alt_response(404, description="Unknown ruleset (OCMS-4004)")
@require_any_credential()
def get_ruleset(name: str):
    """One ruleset as loaded: facts, lists, parameters, rules and default."""
    return for_callers(get_rules().registry.get(name).summary())
