"""flask-smorest wired to the service's conventions: 400 for bad input, the spec's error envelope.

The OpenAPI document describes every answer an operation can give
(:meth:`Api.register_blueprint` adds what the edge answers everywhere): 400
(bad input, hostile text in the query or path), 408 (a body that stopped
arriving), 413 (a body over ``OCMS_MAX_CONTENT_LENGTH``), 414 and 431 (gunicorn:
request line or headers too long), 500, 503 (database
busy or down) on every operation, 401 on every protected one, 404 on every
one with a path parameter and 415 (a body under a Content-Type the route does
not read: :func:`api.web.errors.unsupported_media_type`) on every one taking a body — each with the envelope schema. There is no
catch-all ``default`` response, so a status the document does not name is a
finding of the schemathesis run in the suite (tests/api/test_openapi_fuzz.py).
"""
from __future__ import annotations

import http

import flask_smorest
from marshmallow import INCLUDE, Schema, fields

from .errors import OcmsParser


class FieldErrorSchema(Schema):
    """One offending field (rules-reload errors add file, line, column, hint)."""

    class Meta:
        unknown = INCLUDE

    field = fields.String()
    message = fields.String()


class ErrorDataSchema(Schema):
    """The body of an error (or of a message-only answer such as the webhooks' OCMS-2000)."""

    class Meta:
        unknown = INCLUDE

    appCode = fields.String(metadata={"example": "OCMS-4000"})
    message = fields.String(metadata={"example": "Bad Request"})
    errors = fields.List(fields.Nested(FieldErrorSchema))


class ErrorEnvelopeSchema(Schema):
    """Every error response: ``{"data": {"appCode", "message", "errors"}}``."""

    data = fields.Nested(ErrorDataSchema)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose argument errors are OCMS-4000 / 400."""

    ARGUMENTS_PARSER = OcmsParser()


#: Answers every operation may give, whatever it does (the edge's, gunicorn's — 414 request line, 431 headers too
#: long — and the database's).
EVERY_OPERATION = (400, 408, 413, 414, 431, 500, 503)


class Api(flask_smorest.Api):
    """flask-smorest Api that leaves error handling to :mod:`api.web.errors` (one place)."""

    ERROR_SCHEMA = ErrorEnvelopeSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every status is named per operation instead

    def _register_error_handlers(self):
        pass

    def register_blueprint(self, blp, **options):
        super().register_blueprint(blp, **options)
        self._document_edge_answers()

    def _document_edge_answers(self) -> None:
        """Add the edge's answers (module docstring) to every operation that does not name them already."""
        for path, item in self.spec._paths.items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete") or not isinstance(op, dict):
                    continue
                responses = op.setdefault("responses", {})
                if not any(str(code).startswith("2") for code in responses):  # a view that documents no success
                    responses["200"] = {"description": "OK"}
                statuses = list(EVERY_OPERATION)
                if op.get("security"):
                    statuses.append(401)
                if "{" in path:
                    statuses.append(404)
                if method in ("post", "put", "patch"):  # a body under another Content-Type than the route reads
                    statuses.append(415)
                for status in statuses:
                    if str(status) not in responses and status not in responses:
                        responses[str(status)] = self.spec.components.get_ref("response", http.HTTPStatus(status).name)


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
