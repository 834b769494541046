"""Liveness and readiness probes (no credentials: load balancers call them)."""
from __future__ import annotations

from marshmallow import Schema, fields

from api.database import get_db
from api.decisions.service import get_rules
from api.web.smorest import Blueprint

blp = Blueprint("health", __name__, url_prefix="/health", description="Liveness and readiness probes")


class LiveSchema(Schema):
    status = fields.String(metadata={"example": "UP"})


class ReadySchema(Schema):
    status = fields.String(metadata={"example": "UP"})
    database = fields.String(metadata={"example": "UP"})
    rules = fields.String(metadata={"example": "UP"})
    rulesHash = fields.String(allow_none=True)
    problem = fields.String(metadata={"description": "why the database cannot serve (only when DOWN)"})


@blp.route("/live")
@blp.response(200, LiveSchema)
def live():
    """The process answers."""
    return {"status": "UP"}


@blp.route("/ready")
@blp.response(200, ReadySchema)
@blp.alt_response(503, schema=ReadySchema, description="Database unreachable or rules not loaded")
def ready():
    """The database serves the service's tables (schema at head, every table readable) and the rules are loaded.

    200 when both hold, else 503 with ``problem`` naming what the database lacks.
    """
    problem = get_db().serves_tables()
    db_ok = problem is None
    try:
        registry = get_rules().ensure_loaded()
    except Exception:  # rules state unreadable (database down): not ready, never a 500
        registry = None
    body = {
        "status": "UP" if db_ok and registry is not None else "DOWN",
        "database": "UP" if db_ok else "DOWN",
        "rules": "UP" if registry is not None else "DOWN",
        "rulesHash": get_rules().bundle_hash if registry is not None else None,
    }
    if problem:
        body["problem"] = problem
    return body, 200 if body["status"] == "UP" else 503
