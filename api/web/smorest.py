"""flask-smorest wired to the service's conventions: 400 for bad input, the spec's error envelope."""
from __future__ import annotations

import flask_smorest
from marshmallow import Schema, fields

from .errors import OcmsParser


class FieldErrorSchema(Schema):
    """One offending field."""

    field = fields.String()
    message = fields.String()


class ErrorDataSchema(Schema):
    """The body of an error."""

    appCode = fields.String(metadata={"example": "OCMS-4000"})
    message = fields.String(metadata={"example": "Bad Request"})
    errors = fields.List(fields.Nested(FieldErrorSchema))


class ErrorEnvelopeSchema(Schema):
    """Every error response: ``{"data": {"appCode", "message", "errors"}}``."""

    data = fields.Nested(ErrorDataSchema)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose argument errors are OCMS-4000 / 400."""

    ARGUMENTS_PARSER = OcmsParser()


class Api(flask_smorest.Api):
    """flask-smorest Api that leaves error handling to :mod:`api.web.errors` (one place)."""

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def _register_error_handlers(self):
        pass


SECURITY_SCHEMES = {
    "subscriptionKey": {"type": "apiKey", "in": "header", "name": "Ocp-Apim-Subscription-Key"},
    "staffPortalJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}

#: OpenAPI ``security`` of endpoints open to any system key or Staff Portal JWT.
ANY_CREDENTIAL = [{"subscriptionKey": []}, {"staffPortalJwt": []}]
#: OpenAPI ``security`` of admin endpoints (the admin system's key).
ADMIN_KEY = [{"subscriptionKey": []}]
#: OpenAPI ``security`` of operator endpoints (admin key or Staff Portal JWT).
OPERATOR = [{"subscriptionKey": []}, {"staffPortalJwt": []}]
