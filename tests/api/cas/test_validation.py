"""The fast path of the CAS schemas agrees with marshmallow on valid and invalid payloads."""
import random
from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.cas.routes import CourtNoticesRequestSchema, PaymentStatusRequestSchema
from api.cas.validation import FastLoadSchema, _schema

SPEC_NOTICE = {"noticeNo": "500400058A", "suspensionType": "TS", "lastProcessingStage": "CSD",
               "prevProcessingStage": "CPC", "nextProcessingStage": "CSR", "lastProcessingDate": "2024-01-15",
               "prevProcessingDate": "2024-01-10", "nextProcessingDate": "2024-01-20", "atomsFlag": "Y",
               "amountPayable": 300.00, "paymentAcceptanceAllowed": "Y", "eprReasonOfSuspension": "APP",
               "eprDateOfSuspension": "2024-01-15"}
#: Values tried for each field: valid ones, wrong types, bad formats, boundaries.
POOL = [None, "", "Y", "N", "TS", "PS", "XX", "CSD", "CSDX", "500400058A", "500400058AX", "2024-01-15",
        "2024-1-15", "2024-02-30", "20240115", "2024-W03-1", 0, 1, -1, 12.5, 300.005, 300.0, 99999999.99,
        100000000, True, "300.00", [], {}, float("inf")]


def reference_load(schema, data, monkeypatch):
    """Load with plain marshmallow (the fast path switched off everywhere, nested schemas too)."""
    with monkeypatch.context() as m:
        m.setattr(FastLoadSchema, "load", Schema.load)
        return schema.load(data)


def outcome(load):
    try:
        return "ok", load()
    except ValidationError as e:
        return "error", e.messages


def test_every_cas_schema_compiles():
    # If a schema change makes the compiler give up, the endpoints silently lose their fast path: say so here.
    assert _schema(CourtNoticesRequestSchema()) is not None
    assert _schema(PaymentStatusRequestSchema()) is not None


def test_spec_payload_loads_the_same(monkeypatch):
    schema = CourtNoticesRequestSchema()
    payload = {"notices": [SPEC_NOTICE, dict(SPEC_NOTICE, noticeNo="500400059B", dayEnd="N")]}
    fast = schema.load(payload)
    assert fast == reference_load(schema, payload, monkeypatch)
    assert fast["notices"][0]["amountPayable"] == Decimal("300.0")
    assert str(fast["notices"][0]["lastProcessingDate"]) == "2024-01-15"


@pytest.mark.parametrize("seed", range(4))
def test_random_payloads_agree(monkeypatch, seed):
    rnd = random.Random(seed)
    schema = CourtNoticesRequestSchema()
    for _ in range(300):
        notices = []
        for i in range(rnd.randint(1, 3)):
            n = dict(SPEC_NOTICE, noticeNo=f"50040005{i}A")
            for _ in range(rnd.choice([0, 0, 1, 2])):
                field = rnd.choice(list(SPEC_NOTICE) + ["dayEnd", "other"])
                if rnd.random() < 0.2:
                    n.pop(field, None)
                else:
                    n[field] = rnd.choice(POOL)
            notices.append(n)
        if rnd.random() < 0.1:
            notices.append(dict(notices[0]))
        payload = {"notices": notices}
        got = outcome(lambda: schema.load(payload))
        want = outcome(lambda: reference_load(schema, payload, monkeypatch))
        assert got == want, payload


@pytest.mark.parametrize("payload", [
    {"noticeNumbers": ["500400058A", "500400059B"]},
    {"noticeNumbers": ["500400058A", ""]}, {"noticeNumbers": ["12345678901"]}, {"noticeNumbers": []},
    {"noticeNumbers": [1]}, {"noticeNumbers": None}, {"noticeNumbers": "x"}, {}, {"noticeNumbers": ["a"], "b": 1},
])
def test_payment_status_payloads_agree(monkeypatch, payload):
    schema = PaymentStatusRequestSchema()
    assert outcome(lambda: schema.load(payload)) == outcome(lambda: reference_load(schema, payload, monkeypatch))


def test_the_compiler_gives_up_on_what_it_does_not_know():
    class WithRegexp(FastLoadSchema):
        a = fields.String(validate=validate.Regexp("x"))

    class WithInteger(FastLoadSchema):
        a = fields.Integer()

    class WithDataKey(FastLoadSchema):
        a = fields.String(data_key="b")

    class WithOriginal(FastLoadSchema):
        a = fields.String()

        @validates_schema(pass_original=True)
        def check(self, data, original, **kwargs):
            pass

    for cls in (WithRegexp, WithInteger, WithDataKey, WithOriginal):
        assert _schema(cls()) is None, cls.__name__
    with pytest.raises(ValidationError):
        WithRegexp().load({"a": "y"})
    assert WithInteger().load({"a": "7"}) == {"a": 7}
