"""Log redaction and the request line, in this process (the gunicorn run is in test_observability_e2e.py)."""
from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.web.logging import JsonLogFormatter, REDACTED, redact, register_secrets


@pytest.mark.parametrize("text", [
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvZmZpY2VyMSJ9.c2lnbmF0dXJlLXBhcnQ", "Authorization: Bearer abcdefgh12345678",
    "Ocp-Apim-Subscription-Key: k-123456", '{"Ocp-Apim-Subscription-Key": "k-123456"}', "API-Key=s3cr3t-value",
    "S1234567D", "T7654321Z", "G1234567X", "tan.ah.kow@example.com", "91234567", "+65 6123 4567", "8123-4567",
])
def test_secrets_and_particulars_are_redacted(text):
    out = redact(f"before {text} after")
    assert REDACTED in out
    for part in text.replace(":", " ").replace("=", " ").replace('"', " ").split():
        if len(part) >= 6 and part.lower().strip("{}") not in ("authorization", "ocp-apim-subscription-key", "bearer", "api-key"):
            assert part not in out, (part, out)
    assert out.startswith("before ") and out.endswith(" after")


@settings(max_examples=300)
@given(st.one_of(
    st.uuids().map(lambda u: u.hex),                                                     # request ids
    st.from_regex(r"\A5\d{8}[A-Z]\Z"),                                                  # notice numbers
    st.from_regex(r"\AS[A-Z]{2}\d{1,4}[A-Z]\Z"),                                        # vehicle numbers
    st.datetimes().map(lambda d: d.isoformat()),                                         # timestamps
    st.integers(0, 10**12).map(str),                                                    # counts, durations
    st.from_regex(r"\A(OCMS-\d{4}|PS-ANS|TS-OLD|/v1/[a-z/-]+)\Z"),
))
def test_ids_codes_and_numbers_are_left_alone(value):
    if len(value) == 8 and value.isdigit() and value[0] in "689":
        return  # a Singapore phone number's shape: redacted on purpose
    assert redact(value) == value
    assert redact(f'"request_id": "{value}"') == f'"request_id": "{value}"'


def test_configured_secrets_are_redacted_even_without_a_telling_shape():
    register_secrets(["plain-secret-value-42", 'with"quote\\secret'])
    assert redact("x plain-secret-value-42 y") == f"x {REDACTED} y"
    assert REDACTED in redact(json.dumps({"v": 'with"quote\\secret'}))


def test_one_json_line_per_request_with_the_fields(client, key, bearer):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("api.request")
    logger.addHandler(handler)
    try:
        rid = uuid.uuid4().hex
        client.get("/v1/rulesets", headers={**key("cas"), "X-Request-ID": rid})
        client.get("/v1/decision-log", query_string={"subject": "S1234567D"}, headers=bearer())
        client.get("/v1/rulesets")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert [(x["endpoint"], x["status"], x["app_code"], x["caller"]) for x in lines] == [
        ("/v1/rulesets", 200, "OCMS-2000", "cas"), ("/v1/decision-log", 200, "OCMS-2000", "staff-portal"),
        ("/v1/rulesets", 401, "OCMS-4001", None)]
    assert lines[0]["request_id"] == rid and lines[0]["method"] == "GET" and lines[0]["duration_ms"] >= 0
    assert "S1234567D" not in stream.getvalue() and "officer1" not in stream.getvalue()
