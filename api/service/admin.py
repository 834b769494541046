"""Administration (admin key): publish rules, follow a rollout, shadow runs, impact of a candidate.

* ``POST /v1/admin/rules/reload`` — validate ``OCMS_RULES_DIR`` (or a previously published
  generation, ``{"generation": n}``: a rollback), publish it as a new generation, and answer
  200 once every live worker serves it, or 202 with the generation and a ``Location`` to wait on.
* ``GET /v1/admin/rules/generations/<n>[?wait=S]`` — which live workers serve generation n
  (200 when all do, 202 while some do not; ``wait`` long-polls up to S seconds).
* ``POST /v1/admin/rules/impact`` — what a candidate would change (api/workbench/impact.py).
* ``POST|GET|DELETE /v1/admin/rules/shadow`` — shadow runs (api/workbench/shadow_view.py).
"""
from __future__ import annotations

import threading

from flask import current_app, g, request, url_for
from marshmallow import Schema, fields, validate

from api.database import get_db
from api.decisions.service import get_rules
from api.web.auth import require_auth, require_key
from api.web.errors import ApiError, not_found
from api.web.paths import for_callers
from api.web.smorest import ADMIN_KEY, OPERATOR, Blueprint
from repository.queries import rules_versions as rv

from .rulesets import ActiveSchema, PublishedSchema, ShadowRefSchema

blp = Blueprint("admin", __name__, url_prefix="/v1/admin", description="Administration (admin key)")

MAX_WAIT = 60
INT32_MAX = 2**31 - 1  # generation and shadow ids are INTEGER columns: larger numbers name nothing


class ReloadRequestSchema(Schema):
    generation = fields.Integer(load_default=None, validate=validate.Range(min=1, max=INT32_MAX),
                                metadata={"description": "republish this earlier generation (rollback) instead of "
                                                         "OCMS_RULES_DIR"})


class WorkerSchema(Schema):
    id = fields.String()
    host = fields.String(allow_none=True)
    pid = fields.Integer(allow_none=True)
    generation = fields.Integer(allow_none=True)
    shadowId = fields.Integer(allow_none=True)
    seenAt = fields.String()
    error = fields.String(allow_none=True)
    current = fields.Boolean(metadata={"description": "serves the generation (shadow) asked about"})


class ReloadSchema(Schema):
    changed = fields.Boolean(metadata={"description": "false if the directory is the version already in service"})
    generation = fields.Integer(metadata={"description": "the published generation now in service"})
    complete = fields.Boolean(metadata={"description": "every live worker serves it (200); false: 202, wait on Location"})
    workers = fields.List(fields.Nested(WorkerSchema))
    active = fields.Nested(ActiveSchema)
    published = fields.Nested(PublishedSchema, allow_none=True)
    lastRejected = fields.Dict(allow_none=True)
    shadow = fields.Nested(ShadowRefSchema, allow_none=True)


class RolloutQuerySchema(Schema):
    wait = fields.Float(load_default=0, validate=validate.Range(min=0, max=MAX_WAIT),
                        metadata={"description": "seconds to wait for every worker (long poll), at most 60"})


class RolloutSchema(Schema):
    generation = fields.Integer()
    hash = fields.String()
    publishedAt = fields.String()
    publishedBy = fields.String(allow_none=True)
    inService = fields.Boolean(metadata={"description": "still the published generation (no newer one)"})
    complete = fields.Boolean()
    workers = fields.List(fields.Nested(WorkerSchema))


def _rollout_location(generation: int) -> str:
    return url_for("admin.rollout", generation=generation)


@blp.route("/rules/reload", methods=["POST"])
@blp.arguments(ReloadRequestSchema, required=False)
@blp.response(200, ReloadSchema)
@blp.alt_response(202, schema=ReloadSchema, description="Published, but some live worker does not serve it yet: "
                                                         "wait on GET Location (/v1/admin/rules/generations/<n>)")
@blp.alt_response(401, description="Not the admin key (OCMS-4001)")
@blp.alt_response(404, description="No such published generation (OCMS-4004)")
@blp.alt_response(422, description="Rules rejected (OCMS-4022), every error listed; nothing published")
@blp.doc(security=ADMIN_KEY)
@require_key("admin")
def reload_rules(body: dict | None = None):
    """Validate and publish the configured rules directory; 200 once every live worker serves it.

    Always the configured ``OCMS_RULES_DIR`` (or an earlier published
    generation): the endpoint takes no path, so a key holder cannot point the
    service at an arbitrary directory.
    """
    body = body or {}
    result = for_callers(get_rules().reload(updated_by=getattr(g, "caller", None), generation=body.get("generation")))
    if result["complete"]:
        return result
    return result, 202, {"Location": _rollout_location(result["generation"])}


@blp.route("/rules/generations/<int:generation>", endpoint="rollout")
@blp.arguments(RolloutQuerySchema, location="query")
@blp.response(200, RolloutSchema)
@blp.alt_response(202, schema=RolloutSchema, description="Some live worker does not serve it yet")
@blp.alt_response(401, description="Not the admin key (OCMS-4001)")
@blp.alt_response(404, description="No such published generation (OCMS-4004)")
@blp.doc(security=ADMIN_KEY)
@require_key("admin")
def rollout(query: dict, generation: int):
    """Which live workers serve a published generation: 200 when all do, 202 while some do not."""
    with get_db().session() as s:
        version = rv.get_version(s, generation) if generation <= INT32_MAX else None
        if version is None:
            raise not_found(f"no published generation {generation}",
                            [{"field": "generation", "message": f"no published generation {generation}"}])
        pointer = rv.read_pointer(s)
        body = {"generation": generation, "hash": version.bundle_hash, "publishedAt": version.published_at.isoformat(),
                "publishedBy": version.published_by, "inService": pointer is not None and pointer[0] == generation}
    complete, workers = get_rules().wait_for(generation=generation, timeout=query["wait"])
    body.update(complete=complete, workers=workers)
    return body, 200 if complete else 202


# ---- impact of a candidate ---------------------------------------------------------------
class ImpactOptionsSchema(Schema):
    against = fields.List(fields.String(validate=validate.OneOf(("fixtures", "decision-log"))),
                          load_default=["fixtures", "decision-log"],
                          metadata={"description": "what to decide again: fixtures, decision-log (default both)"})
    since = fields.Date(load_default=None, metadata={"description": "logged decisions from this day (included)"})
    until = fields.Date(load_default=None, metadata={"description": "logged decisions before this day (excluded)"})
    ruleset = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=0, max=1000),
                           metadata={"description": "changed decisions listed per source (counts are complete)"})
    overlay = fields.Boolean(load_default=False, metadata={
        "description": "the files given replace those of the version in service; the others are kept"})
    maxDecisions = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10**9),
                                  metadata={"description": "logged decisions read at most, newest first "
                                                           "(default and ceiling OCMS_IMPACT_MAX_DECISIONS)"})


class CandidateSchema(Schema):
    hash = fields.String()
    source = fields.String()
    rulesets = fields.Dict()


class ImpactSchema(Schema):
    changed = fields.Boolean(metadata={"description": "some decision would change"})
    candidate = fields.Nested(CandidateSchema)
    baseline = fields.Dict(metadata={"description": "the rules in service compared with: generation, hash"})
    fixtures = fields.Dict(metadata={"description": "compared, changed, perRuleset, pairs, changes, errors"})
    decisionLog = fields.Dict(metadata={"description": "the same over logged decisions, with window, truncated, rowsRead"})


CANDIDATE_BODY = {"content": {
    "application/json": {"schema": {"type": "object", "properties": {
        "files": {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "file name -> YAML text"},
        "directory": {"type": "string", "description": "a folder under OCMS_RULES_CANDIDATES_DIR"}}}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "bundle": {"type": "string", "format": "binary", "description": "a zip of the *.yaml files"},
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
}, "required": True}

_impact_lock = threading.Lock()  # one impact run at a time per worker (each can take seconds of CPU)


def _options(schema: Schema, raw: dict) -> dict:
    from marshmallow import ValidationError

    from api.web.errors import bad_request, flatten_messages
    try:
        return schema.load(raw)
    except ValidationError as e:
        raise bad_request(errors=flatten_messages(e.messages)) from None


def _overlaid(bundle, shown: str, overlay: bool):
    """The candidate as given, or laid over the files of the version in service."""
    if not overlay:
        return bundle, shown
    from engine.bundle import Bundle
    service = get_rules()
    base = service.load_bundle(service.bundle_hash)
    return Bundle({**base.files, **bundle.files}, source=f"{shown} over generation {service.generation}"), shown


class ShadowOptionsSchema(Schema):
    overlay = fields.Boolean(load_default=False, metadata={
        "description": "the files given replace those of the version in service; the others are kept"})


def _query_options() -> dict:
    args = request.args
    raw: dict = {k: v for k, v in args.items() if k != "against"}
    if "against" in args:
        raw["against"] = [x for v in args.getlist("against") for x in v.split(",") if x]
    return raw


@blp.route("/rules/impact", methods=["POST"])
@blp.response(200, ImpactSchema)
@blp.alt_response(400, description="Not a rules bundle, a directory not allowed, bad options (OCMS-4000)")
@blp.alt_response(401, description="Not the admin key nor a Staff Portal JWT (OCMS-4001)")
@blp.alt_response(413, description="Upload too large (OCMS-4013)")
@blp.alt_response(422, description="The candidate has errors (OCMS-4022), every error listed")
@blp.alt_response(429, description="An impact run is already going on in this worker (OCMS-4029)")
@blp.doc(security=OPERATOR, requestBody=CANDIDATE_BODY)
@require_auth(systems=("admin",), roles=("*",))
def impact():
    """What a candidate rules version would change: every fixture case and the logged decisions, decided by both.

    Options in the query string (``?against=fixtures&since=2026-11-01&ruleset=an_qualification``)
    or, with a JSON body, beside ``files``/``directory``. The candidate is
    validated like a reload (422) and never goes into service.
    """
    from api.workbench.candidates import candidate_from_request
    from api.workbench.impact import Window, as_datetime, run_impact
    bundle, shown, body_options = candidate_from_request()
    options = _options(ImpactOptionsSchema(), {**_query_options(), **body_options})
    cfg = get_rules()
    ceiling = current_app.config.get("OCMS_IMPACT_MAX_DECISIONS") or 200_000
    limit = min(options["maxDecisions"] or ceiling, ceiling)
    if not _impact_lock.acquire(blocking=False):
        raise ApiError(429, "An impact run is already in progress in this worker; try again when it ends")
    try:
        baseline = cfg.in_service
        bundle, shown = _overlaid(bundle, shown, options["overlay"])
        _, candidate = cfg.validate(bundle, shown)
        try:
            from api.decisions.service import ruleset_meta
            result = run_impact(baseline, candidate, database=get_db(), against=options["against"],
                                fixtures_dir=current_app.config["OCMS_FIXTURES_DIR"],
                                window=Window(as_datetime(options["since"]), as_datetime(options["until"]),
                                              options["ruleset"], limit), keep=options["limit"])
            result["candidate"] = {"hash": bundle.hash, "source": shown, "rulesets": ruleset_meta(candidate)[1]}
        finally:
            candidate.close()
    finally:
        _impact_lock.release()
    result["baseline"] = {"generation": cfg.generation, "hash": cfg.bundle_hash}
    return for_callers(result)


# ---- shadow runs ----------------------------------------------------------------------------
class ShadowSummaryQuerySchema(Schema):
    id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=INT32_MAX),
                        metadata={"description": "a past shadow run (default: the latest)"})
    examples = fields.Integer(load_default=20, validate=validate.Range(min=0, max=200))
    ruleset = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class ShadowSwitchSchema(Schema):
    shadowId = fields.Integer(allow_none=True)
    complete = fields.Boolean(metadata={"description": "every live worker follows the switch (200); false: 202"})
    workers = fields.List(fields.Nested(WorkerSchema))


class ShadowSummarySchema(Schema):
    shadow = fields.Dict(allow_none=True)
    compared = fields.Integer()
    differed = fields.Integer()
    dropped = fields.Integer()
    perRuleset = fields.Dict()
    pairs = fields.List(fields.Dict())
    examples = fields.List(fields.Dict())
    workers = fields.List(fields.Nested(WorkerSchema))


@blp.route("/rules/shadow", methods=["POST"])
@blp.response(200, ShadowSwitchSchema)
@blp.alt_response(202, schema=ShadowSwitchSchema, description="Started; some live worker does not run it yet")
@blp.alt_response(400, description="Not a rules bundle / directory not allowed (OCMS-4000)")
@blp.alt_response(401, description="Not the admin key (OCMS-4001)")
@blp.alt_response(422, description="The candidate has errors (OCMS-4022); no shadow started")
@blp.doc(security=ADMIN_KEY, requestBody=CANDIDATE_BODY)
@require_key("admin")
def start_shadow():
    """Run a candidate as the shadow in every worker: each live decision is also decided by it, never applied.

    Replaces the shadow run in force, if any. No restart: workers follow
    within ``OCMS_RULES_CHECK_INTERVAL``; 200 once all do, else 202.
    """
    from api.workbench.candidates import candidate_from_request
    bundle, shown, body_options = candidate_from_request()
    options = _options(ShadowOptionsSchema(), {**_query_options(), **body_options})
    get_rules().in_service
    bundle, shown = _overlaid(bundle, shown, options["overlay"])
    result = get_rules().start_shadow(bundle, shown, getattr(g, "caller", None))
    return result, 200 if result["complete"] else 202


@blp.route("/rules/shadow", methods=["DELETE"])
@blp.response(200, ShadowSwitchSchema)
@blp.alt_response(202, schema=ShadowSwitchSchema, description="Stopped; some live worker still runs it")
@blp.alt_response(401, description="Not the admin key (OCMS-4001)")
@blp.doc(security=ADMIN_KEY)
@require_key("admin")
def stop_shadow():
    """Turn the shadow run off in every worker (its results stay readable)."""
    result = get_rules().stop_shadow(getattr(g, "caller", None))
    return result, 200 if result["complete"] else 202


@blp.route("/rules/shadow", methods=["GET"])
@blp.arguments(ShadowSummaryQuerySchema, location="query")
@blp.response(200, ShadowSummarySchema)
@blp.alt_response(401, description="Not the admin key nor a Staff Portal JWT (OCMS-4001)")
@blp.alt_response(404, description="No such shadow run (OCMS-4004)")
@blp.doc(security=OPERATOR)
@require_auth(systems=("admin",), roles=("*",))
def shadow_summary(query: dict):
    """A shadow run's differences: counts per ruleset and per (live → shadow) outcome pair, recent examples."""
    from api.workbench.shadow_view import summarise
    service = get_rules()
    service.in_service
    service.flush_shadow()  # this worker's pending results; the others write theirs every check interval
    body = summarise(get_db(), query["id"], query["examples"], query["ruleset"])
    if body is None and query["id"] is not None:
        raise not_found(f"no shadow run {query['id']}", [{"field": "id", "message": "no such shadow run"}])
    _, workers = service.wait_for()
    return for_callers({**(body or _empty_summary()), "workers": workers})


def _empty_summary() -> dict:
    return {"shadow": None, "compared": 0, "differed": 0, "dropped": 0, "perRuleset": {}, "pairs": [], "examples": []}
