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


@blp.route("/live")
@blp.response(200, LiveSchema)
def live():
    """The process answers."""
    return {"status": "UP"}


@blp.route("/ready")
@blp.response(200, ReadySchema)
@blp.alt_response(503, schema=ReadySchema, description="Database unreachable or rules not loaded")
def ready():
    """The database answers and the rules are loaded: 200, else 503."""
    db_ok = get_db().ping()
    registry = get_rules().ensure_loaded()
    body = {
        "status": "UP" if db_ok and registry is not None else "DOWN",
        "database": "UP" if db_ok else "DOWN",
        "rules": "UP" if registry is not None else "DOWN",
        "rulesHash": get_rules().bundle_hash if registry is not None else None,
    }
    return body, 200 if body["status"] == "UP" else 503
