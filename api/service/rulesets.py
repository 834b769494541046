"""What rules are in service: versions, hashes, the last rejected reload, each ruleset's rules and its history."""
from __future__ import annotations

import difflib

from marshmallow import Schema, fields, validate

from api.database import get_db
from api.decisions.service import get_rules
from api.web.auth import require_any_credential
from api.web.errors import not_found
from api.web.paths import for_callers
from api.web.smorest import ANY_CREDENTIAL, Blueprint
from repository.queries import rules_versions as rv

blp = Blueprint("rulesets", __name__, url_prefix="/v1/rulesets", description="Rulesets in service")


class RulesetStatusSchema(Schema):
    version = fields.String()
    hash = fields.String()


class ActiveSchema(Schema):
    generation = fields.Integer(allow_none=True, metadata={"description": "published generation this worker serves"})
    hash = fields.String(allow_none=True, metadata={"description": "hash of the bundle (every ruleset file)"})
    loadedAt = fields.String(allow_none=True)
    publishedAt = fields.String(allow_none=True)
    publishedBy = fields.String(allow_none=True)
    rulesets = fields.Dict(keys=fields.String(), values=fields.Nested(RulesetStatusSchema))


class PublishedSchema(Schema):
    generation = fields.Integer()
    hash = fields.String()
    publishedAt = fields.String()
    publishedBy = fields.String(allow_none=True)
    source = fields.String(allow_none=True)


class ShadowRefSchema(Schema):
    id = fields.Integer()
    hash = fields.String()
    startedAt = fields.String()
    startedBy = fields.String(allow_none=True)
    source = fields.String(allow_none=True)


class RulesStatusSchema(Schema):
    active = fields.Nested(ActiveSchema)
    published = fields.Nested(PublishedSchema, allow_none=True,
                              metadata={"description": "the version in service (every worker follows it)"})
    lastRejected = fields.Dict(allow_none=True, metadata={"description": "the last refused reload and its errors "
                                                                         "(stored once: the same from every worker)"})
    shadow = fields.Nested(ShadowRefSchema, allow_none=True, metadata={"description": "the shadow run in force"})


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


class VersionsQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "newest versions listed"})


class RulesetVersionSchema(Schema):
    generation = fields.Integer(metadata={"description": "first published generation with this content"})
    generations = fields.List(fields.Integer(), metadata={"description": "every generation that served it"})
    version = fields.String(allow_none=True)
    hash = fields.String(allow_none=True, metadata={"description": "content hash, as the decision log records it"})
    file = fields.String(allow_none=True)
    publishedAt = fields.String()
    publishedBy = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    inService = fields.Boolean()
    removed = fields.Boolean(metadata={"description": "the ruleset was left out of this generation"})
    diff = fields.String(allow_none=True, metadata={"description": "unified diff of the YAML from the previous version"})


class RulesetVersionsSchema(Schema):
    ruleset = fields.String()
    versions = fields.List(fields.Nested(RulesetVersionSchema), metadata={"description": "newest first"})


class RulesetVersionContentSchema(Schema):
    ruleset = fields.String()
    generation = fields.Integer()
    version = fields.String(allow_none=True)
    hash = fields.String(allow_none=True)
    file = fields.String()
    content = fields.String()


@blp.route("")
@blp.response(200, RulesStatusSchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.doc(security=ANY_CREDENTIAL)
@require_any_credential()
def list_rulesets():
    """The published version in service, what this worker serves, the shadow run and the last rejected reload."""
    return for_callers(get_rules().status_view())  # no server paths (api/web/paths.py)


@blp.route("/<name>")
@blp.response(200, RulesetSummarySchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.doc(security=ANY_CREDENTIAL)
@blp.alt_response(404, description="Unknown ruleset (OCMS-4004)")
@require_any_credential()
def get_ruleset(name: str):
    """One ruleset as loaded: facts, lists, parameters, rules and default."""
    from api.workbench.describe import describe_ruleset
    service = get_rules()
    return for_callers(describe_ruleset(service.in_service.get(name)))


def _diff(old: dict | None, new: dict) -> str | None:
    if old is None:
        return None
    a = (old["content"] or "").splitlines(keepends=True)
    b = (new["content"] or "").splitlines(keepends=True)
    text = "".join(difflib.unified_diff(
        a, b, fromfile=f"{old['file_name']} (generation {old['generation']}, version {old['version']})",
        tofile=f"{new['file_name']} (generation {new['generation']}, version {new['version']})"))
    return text


def ruleset_versions(session, name: str, in_service_generation: int | None) -> list[dict]:
    """Each distinct content of a ruleset over the published generations, oldest first, with diffs."""
    history = {r["generation"]: r for r in rv.ruleset_history(session, name)}
    versions = sorted(rv.list_versions(session), key=lambda v: v.generation)
    out: list[dict] = []
    prev: dict | None = None  # the previous content row
    for v in versions:
        row = history.get(v.generation)
        if row is None:
            if prev is not None and not (out and out[-1].get("removed")):
                out.append({"generation": v.generation, "generations": [v.generation], "version": None, "hash": None,
                            "file": prev["file_name"], "publishedAt": v.published_at.isoformat(),
                            "publishedBy": v.published_by, "source": v.source, "removed": True, "diff": None})
            elif out and out[-1].get("removed"):
                out[-1]["generations"].append(v.generation)
            continue
        if prev is not None and out and not out[-1].get("removed") and row["content_hash"] == prev["content_hash"]:
            out[-1]["generations"].append(v.generation)
            continue
        out.append({"generation": v.generation, "generations": [v.generation], "version": row["version"],
                    "hash": row["ruleset_hash"], "file": row["file_name"], "publishedAt": v.published_at.isoformat(),
                    "publishedBy": v.published_by, "source": v.source, "removed": False, "diff": _diff(prev, row)})
        prev = row
    for entry in out:
        entry["inService"] = in_service_generation in entry["generations"]
    return out


@blp.route("/<name>/versions")
@blp.arguments(VersionsQuerySchema, location="query")
@blp.response(200, RulesetVersionsSchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.alt_response(404, description="The ruleset was never published (OCMS-4004)")
@blp.doc(security=ANY_CREDENTIAL)
@require_any_credential()
def list_versions(query: dict, name: str):
    """Every published version of a ruleset, newest first, each with the unified diff of its YAML from the one before."""
    service = get_rules()
    service.in_service
    with get_db().session() as s:
        versions = ruleset_versions(s, name, service.generation)
    if not versions:
        raise not_found(f"ruleset {name!r} was never published", [{"field": "name", "message": "unknown ruleset"}])
    return for_callers({"ruleset": name, "versions": list(reversed(versions))[: query["limit"]]})


@blp.route("/<name>/versions/<int:generation>")
@blp.response(200, RulesetVersionContentSchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.alt_response(404, description="No such ruleset in that generation (OCMS-4004)")
@blp.doc(security=ANY_CREDENTIAL)
@require_any_credential()
def get_version(name: str, generation: int):
    """The YAML of a ruleset as published in one generation."""
    with get_db().session() as s:
        row = next((r for r in rv.ruleset_history(s, name) if r["generation"] == generation), None)
    if row is None:
        raise not_found(f"ruleset {name!r} is not in generation {generation}",
                        [{"field": "generation", "message": f"ruleset {name!r} is not in generation {generation}"}])
    return {"ruleset": name, "generation": generation, "version": row["version"], "hash": row["ruleset_hash"],
            "file": row["file_name"], "content": row["content"]}


class FixtureRunSchema(Schema):
    ruleset = fields.String()
    passed = fields.Integer()
    failed = fields.Integer()
    cases = fields.List(fields.Dict(), metadata={"description": "name, file, line, passed, problems, decision"})
    coverage = fields.Dict(metadata={"description": "rule id -> times fired by a case"})
    uncovered = fields.List(fields.String(), metadata={"description": "rules no case fires"})
    valueCoverage = fields.Dict(metadata={
        "description": "each list value, enum value and boundary side a rule names, tried by a case or not "
                       "(issue 15): targets, exercised, percent, missing (texts), rules (rule id -> targets "
                       "with their case counts; an unreachable one carries the reason)"})
    errors = fields.List(fields.Dict(), metadata={"description": "fixture file errors"})


@blp.route("/<name>/fixtures")
@blp.response(200, FixtureRunSchema)
@blp.alt_response(401, description="Missing or wrong credentials (OCMS-4001)")
@blp.alt_response(404, description="Unknown ruleset (OCMS-4004)")
@blp.doc(security=ANY_CREDENTIAL)
@require_any_credential()
def run_fixtures(name: str):
    """Replay the ruleset's fixture cases (``OCMS_FIXTURES_DIR/<ruleset>/``) against the rules in service.

    Read-only: every case runs with explain on (a differential check too) and
    writes nothing, not even the decision cache.
    """
    from flask import current_app

    from engine import load_fixtures, measure_coverage, run_fixtures as replay
    registry = get_rules().in_service
    rs = registry.get(name)
    cases, errors = load_fixtures(current_app.config["OCMS_FIXTURES_DIR"], only_ruleset=name)
    report = replay(registry, cases, errors)
    coverage = report.coverage.get(name, {rid: 0 for rid in rs.rule_ids()})
    values = measure_coverage(registry, report, only=name).rulesets.get(name)
    value_coverage = {**values.to_dict(), "missing": [f"{t.rule}: {t.text}" for t in values.missing()]} \
        if values is not None else None
    return for_callers({
        "ruleset": name,
        "passed": sum(r.passed for r in report.results), "failed": sum(not r.passed for r in report.results),
        "cases": [{"name": r.case.name, "file": r.case.file, "line": r.case.line, "passed": r.passed,
                   "problems": r.problems, "facts": r.case.facts, "expect": r.case.expect,
                   "decision": r.decision.to_dict() if r.decision is not None else None} for r in report.results],
        "coverage": coverage, "uncovered": [rid for rid, n in coverage.items() if not n],
        "valueCoverage": value_coverage,
        "errors": [e.to_dict() for e in report.errors if e.file.endswith(".yaml") and f"/{name}/" in e.file],
    })
