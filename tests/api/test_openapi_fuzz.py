"""schemathesis over every operation of /openapi.json, in-process (WSGI), with valid keys and a Staff Portal JWT.

For each operation, valid (positive) and invalid (negative) requests generated
from the document: no answer may be a 5xx, and every answer must be one the
document describes (status, content type, body schema, headers). A bounded
number of examples per operation and mode (20) keeps the run to well under a minute on
either database; ``OCMS_FUZZ_EXAMPLES=1000`` runs a larger campaign by hand.
"""
from __future__ import annotations

import os
import time

import jwt
import pytest
import schemathesis
import schemathesis.checks as checks
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import JWT_SECRET

EXAMPLES = int(os.environ.get("OCMS_FUZZ_EXAMPLES") or 20)
KEY = "fuzz-key-0123456789"
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


@pytest.fixture
def fuzz_app(make_seeded_app, tmp_path):
    """Every system holds the same key (one header fits every operation); reference data seeded."""
    from api.config import SYSTEMS
    return make_seeded_app(OCMS_API_KEYS={s: KEY for s in SYSTEMS}, OCMS_REPORT_DIR=str(tmp_path / "reports"))


def test_every_operation_answers_as_documented_and_never_5xx(fuzz_app):
    token = jwt.encode({"sub": "fuzz-officer", "roles": ["OIC"], "exp": int(time.time()) + 3600}, JWT_SECRET,
                       algorithm="HS256")
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)
    failures: dict[tuple, str] = {}
    calls = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    from api.areas import pages
    not_api = {"api-docs", *(bp.name for bp in pages())}  # Swagger UI and the HTML pages (the workbench)
    routes = {(m, r.rule) for r in fuzz_app.url_map.iter_rules()  # the blueprints' operations (not /metrics, assets)
              if "." in r.endpoint and r.endpoint.split(".")[0] not in not_api
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert len(operations) == len(routes) >= 20  # every operation of the service is in the document

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(operation.as_strategy(generation_mode=mode))
            def run(case):
                nonlocal calls
                calls += 1
                try:
                    case.call_and_validate(headers=headers, checks=CHECKS)
                except BaseException as e:  # keep the first finding of each kind, go on with the others
                    failures.setdefault((operation.label, mode.value, type(e).__name__), str(e)[:1500])
            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (e.g. /health/live has no input)
                pass
    assert calls >= len(operations) * 2
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
