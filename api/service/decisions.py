"""Dry-run decisions and the decision log (DESIGN.md §5).

``POST /v1/decisions/<ruleset>`` evaluates facts and returns the decision with
its trace, writing nothing; any authenticated caller may use it (a calling
system's key, the admin key or a Staff Portal JWT): it reveals only rules and
the caller's own facts.

``GET /v1/decision-log?subject=<noticeNo>`` answers "why did notice X get
PS-ANS?" from the recorded decisions; it needs the admin key or a Staff Portal
JWT (any role).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.database import get_db
from api.decisions.service import get_rules
from api.web.auth import require_any_credential, require_auth
from api.web.fields import Code, max_length
from api.web.smorest import ANY_CREDENTIAL, OPERATOR, Blueprint
from repository.models import DecisionLog
from repository.queries import decisions_for_subject

blp = Blueprint("decisions", __name__, url_prefix="/v1", description="Dry-run decisions and the decision log")

MAX_LOG_LIMIT = 500
LOG_COLUMNS = ("id", "decided_at", "request_id", "caller", "ruleset", "ruleset_version", "ruleset_hash", "subject",
               "facts", "outcome", "outputs", "actions", "fired_rules", "dry_run")


class DecisionRequestSchema(Schema):
    facts = fields.Dict(keys=fields.String(), required=True, metadata={"description": "fact name → value"})
    explain = fields.Boolean(load_default=True, metadata={"description": "add the trace of every rule tried"})
    parameters = fields.Dict(keys=fields.String(), load_default=None,
                             metadata={"description": "override the ruleset's parameters (switches)"})


class ActionSchema(Schema):
    name = fields.String()
    params = fields.Dict()


class DecisionSchema(Schema):
    ruleset = fields.String()
    version = fields.String()
    hash = fields.String()
    outcome = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    outputs = fields.Dict()
    actions = fields.List(fields.Nested(ActionSchema))
    firedRules = fields.List(fields.String())
    defaultApplied = fields.Boolean()
    facts = fields.Dict()
    results = fields.List(fields.Dict())
    trace = fields.List(fields.Dict(), metadata={"description": "each rule: matched, or the first failed condition"})


class DecisionLogQuerySchema(Schema):
    subject = Code(required=True, validate=validate.Length(min=1, max=max_length(DecisionLog.subject)),
                   metadata={"description": "e.g. the notice number (trimmed, upper-cased as notice numbers are stored)"})
    ruleset = fields.String(load_default=None, validate=validate.Length(min=1, max=max_length(DecisionLog.ruleset)))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_LOG_LIMIT))


class DecisionLogEntrySchema(Schema):
    id = fields.Integer()
    decidedAt = fields.DateTime(attribute="decided_at", metadata={"format": "local-date-time",
                                                              "description": "local (SGT) time, no offset"})
    requestId = fields.String(attribute="request_id", allow_none=True)
    caller = fields.String(allow_none=True)
    ruleset = fields.String()
    rulesetVersion = fields.String(attribute="ruleset_version", allow_none=True)
    rulesetHash = fields.String(attribute="ruleset_hash", allow_none=True)
    subject = fields.String(allow_none=True)
    facts = fields.Raw(allow_none=True)
    outcome = fields.String(allow_none=True)
    outputs = fields.Raw(allow_none=True)
    actions = fields.Raw(allow_none=True)
    firedRules = fields.Raw(attribute="fired_rules", allow_none=True)
    dryRun = fields.Boolean(attribute="dry_run")


class DecisionLogSchema(Schema):
    subject = fields.String()
    decisions = fields.List(fields.Nested(DecisionLogEntrySchema))


@blp.route("/decisions/<ruleset>", methods=["POST"])
@blp.arguments(DecisionRequestSchema)
@blp.response(200, DecisionSchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.doc(security=ANY_CREDENTIAL)
@blp.alt_response(404, description="Unknown ruleset (OCMS-4004)")
@require_any_credential()
def dry_run(body: dict, ruleset: str):
    """Evaluate facts against a ruleset and return the decision; writes nothing."""
    decision = get_rules().in_service.evaluate(ruleset, body["facts"], explain=body["explain"], use_cache=False,
                                             parameters=body["parameters"])
    return decision.to_dict()


@blp.route("/decision-log", methods=["GET"])
@blp.arguments(DecisionLogQuerySchema, location="query")
@blp.response(200, DecisionLogSchema)
@blp.alt_response(401, description="Not the admin key nor a Staff Portal JWT (OCMS-4001)")
@blp.doc(security=OPERATOR)
@require_auth(systems=("admin",), roles=("*",))
def decision_log(query: dict):
    """Decisions recorded for a subject (e.g. a notice number), newest first."""
    with get_db().session() as s:
        rows = decisions_for_subject(s, query["subject"], ruleset=query["ruleset"], limit=query["limit"])
        # Read the rows while the session is open; the schema dumps plain dicts.
        decisions = [{c: getattr(r, c) for c in LOG_COLUMNS} for r in rows]
    return {"subject": query["subject"], "decisions": decisions}


class ReplayQuerySchema(Schema):
    subject = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                            metadata={"description": "every decision of this subject (notice number)"})
    id = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**63 - 1)), load_default=None,
                     metadata={"description": "decision-log id(s)"})
    ruleset = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ReplaySchema(Schema):
    decisions = fields.List(fields.Dict(), metadata={
        "description": "per decision: recorded, then (under the version that made it, with generation), reproduced, "
                       "today (under the published version, with its trace), changedToday"})


@blp.route("/decision-log/replay", methods=["GET"])
@blp.arguments(ReplayQuerySchema, location="query")
@blp.response(200, ReplaySchema)
@blp.alt_response(400, description="Neither subject nor id given (OCMS-4000)")
@blp.alt_response(401, description="Not the admin key nor a Staff Portal JWT (OCMS-4001)")
@blp.alt_response(404, description="No such decision (OCMS-4004)")
@blp.doc(security=OPERATOR)
@require_auth(systems=("admin",), roles=("*",))
def replay(query: dict):
    """Logged decisions re-decided under the version that made them and under today's ("and would it today?")."""
    from api.web.errors import bad_request, not_found
    from api.workbench.replay import VersionRegistries, replay_rows
    from repository.queries import logged_decisions
    if not query["subject"] and not query["id"]:
        raise bad_request(errors=[{"field": "subject", "message": "give subject or id"}])
    service = get_rules()
    today = service.in_service
    versions = VersionRegistries(get_db(), service.snapshots, service.new_registry)
    try:
        with get_db().session() as s:
            rows = logged_decisions(s, ids=query["id"], subject=query["subject"], ruleset=query["ruleset"],
                                    limit=query["limit"])
            items = replay_rows(rows, database=get_db(), today=today, today_generation=service.generation,
                                versions=versions)
    finally:
        versions.close()
    if not items:
        raise not_found("No such decision in the decision log",
                        [{"field": "subject" if query["subject"] else "id", "message": "no decision found"}])
    from api.web.paths import for_callers
    return for_callers({"decisions": items})
