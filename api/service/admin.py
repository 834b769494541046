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

from flask import g, request, url_for
from marshmallow import Schema, fields, validate

from api.database import get_db
from api.decisions.service import get_rules
from api.web.auth import require_key
from api.web.errors import not_found
from api.web.smorest import ADMIN_KEY, Blueprint
from repository.queries import rules_versions as rv

from .rulesets import ActiveSchema, PublishedSchema, ShadowRefSchema

blp = Blueprint("admin", __name__, url_prefix="/v1/admin", description="Administration (admin key)")

MAX_WAIT = 60


class ReloadRequestSchema(Schema):
    generation = fields.Integer(load_default=None, validate=validate.Range(min=1),
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
    result = get_rules().reload(updated_by=getattr(g, "caller", None), generation=body.get("generation"))
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
        version = rv.get_version(s, generation)
        if version is None:
            raise not_found(f"no published generation {generation}",
                            [{"field": "generation", "message": f"no published generation {generation}"}])
        pointer = rv.read_pointer(s)
        body = {"generation": generation, "hash": version.bundle_hash, "publishedAt": version.published_at.isoformat(),
                "publishedBy": version.published_by, "inService": pointer is not None and pointer[0] == generation}
    complete, workers = get_rules().wait_for(generation=generation, timeout=query["wait"])
    body.update(complete=complete, workers=workers)
    return body, 200 if complete else 202
