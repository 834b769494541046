"""What the identity normalisation (issue 11) costs on the CAS payloads: the same schemas with plain strings.

    .venv/bin/python bench/bench_identity.py [--repeats 7]

CAS API 1 (500 notice numbers) and API 2 (500 notices of 13 fields + dayEnd) are loaded through
:class:`api.cas.validation.FastLoadSchema` twice, round-robin in one run: with the identity fields of
api/web/fields.py (NoticeNo, Code: trimmed, upper-cased, checked) and with the plain ``fields.String``
they replaced (same validators); plus marshmallow's own load as the reference. Prints the median ms per
load and the ratios measured in this run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from marshmallow import Schema, fields, validate  # noqa: E402

from api.cas import schemas  # noqa: E402
from api.cas.validation import FastLoadSchema, StrictDate, _schema  # noqa: E402


def plain_schemas():
    """The CAS request schemas as they were before issue 11 (plain strings, same validators)."""
    notice_no = validate.Length(min=1, max=10)
    yes_no, stage = schemas.YES_NO, schemas.STAGE

    class PlainPaymentStatus(FastLoadSchema):
        noticeNumbers = fields.List(fields.String(validate=notice_no), required=True, validate=validate.Length(min=1))

    class PlainCourtNotice(FastLoadSchema):
        noticeNo = fields.String(required=True, validate=notice_no)
        suspensionType = fields.String(required=True, allow_none=True, validate=validate.OneOf(("TS", "PS")))
        lastProcessingStage = fields.String(required=True, validate=stage)
        prevProcessingStage = fields.String(required=True, allow_none=True, validate=stage)
        nextProcessingStage = fields.String(required=True, allow_none=True, validate=stage)
        lastProcessingDate = StrictDate(required=True)
        prevProcessingDate = StrictDate(required=True, allow_none=True)
        nextProcessingDate = StrictDate(required=True, allow_none=True)
        atomsFlag = fields.String(required=True, allow_none=True, validate=yes_no)
        amountPayable = schemas.Amount(required=True, allow_none=True, validate=validate.Range(min=0, max=schemas.MAX_AMOUNT))
        paymentAcceptanceAllowed = fields.String(required=True, allow_none=True, validate=yes_no)
        eprReasonOfSuspension = fields.String(required=True, allow_none=True, validate=stage)
        eprDateOfSuspension = StrictDate(required=True, allow_none=True)
        dayEnd = fields.String(validate=yes_no)

    class PlainCourtNotices(FastLoadSchema):
        notices = fields.List(fields.Nested(PlainCourtNotice), required=True, validate=validate.Length(min=1))

    return PlainPaymentStatus(), PlainCourtNotices()


def payloads():
    api1 = {"noticeNumbers": [f"5004{i:05d}A" for i in range(500)]}
    notice = {"suspensionType": "TS", "lastProcessingStage": "CSD", "prevProcessingStage": "CPC",
              "nextProcessingStage": "CSR", "lastProcessingDate": "2024-01-15", "prevProcessingDate": "2024-01-10",
              "nextProcessingDate": "2024-01-20", "atomsFlag": "Y", "amountPayable": 300.00,
              "paymentAcceptanceAllowed": "Y", "eprReasonOfSuspension": "APP", "eprDateOfSuspension": "2024-01-15"}
    api2 = {"notices": [{"noticeNo": f"5004{i:05d}A", **notice} for i in range(500)]}
    return api1, api2


def timed(fn, loops: int) -> float:
    t0 = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - t0) / loops * 1000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    api1, api2 = payloads()
    plain1, plain2 = plain_schemas()
    ident1, ident2 = schemas.PaymentStatusRequestSchema(), schemas.CourtNoticesRequestSchema()
    for s in (plain1, plain2, ident1, ident2):
        assert _schema(s) is not None, f"{type(s).__name__}: the fast path does not compile"
    assert ident1.load(api1) == plain1.load(api1) and ident2.load(api2) == plain2.load(api2)
    rows = {
        "API 1 identity fields": (lambda: ident1.load(api1), 200),
        "API 1 plain strings": (lambda: plain1.load(api1), 200),
        "API 1 marshmallow": (lambda: Schema.load(ident1, api1), 20),
        "API 2 identity fields": (lambda: ident2.load(api2), 20),
        "API 2 plain strings": (lambda: plain2.load(api2), 20),
        "API 2 marshmallow": (lambda: Schema.load(ident2, api2), 3),
    }
    samples: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(args.repeats):  # round-robin: load changes hit every row alike
        for name, (fn, loops) in rows.items():
            samples[name].append(timed(fn, loops))
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"500 notices, median of {args.repeats} round-robin passes, ms per load")
    for name in rows:
        print(f"  {name:24s} {med[name]:8.3f}")
    for api in ("API 1", "API 2"):
        print(f"{api}: identity / plain = {med[f'{api} identity fields'] / med[f'{api} plain strings']:.2f}x, "
              f"marshmallow / identity = {med[f'{api} marshmallow'] / med[f'{api} identity fields']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
