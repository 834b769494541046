"""The edge's costs, measured against their bare baselines in one run (issue 10).

1. The strict JSON layer (``api.web.json.strict_loads``: duplicate keys, depth,
   forbidden characters) against bare ``json.loads`` on a 500-notice CAS API 2
   body, clean and with a ``\\u`` escape (which makes the text walk run).
2. The shared Excel writer (``api.reports.write_xlsx``: typed cells, quote
   prefixes, XML cleaning) against bare openpyxl write-only ``ws.append`` of the
   same rows (10,000 ANS-like rows).
3. A whole CAS API 2 request through the app (test client, SQLite): the share of
   the request the edge's hooks and strict parsing take, as before-request time
   and parse time against the request's total.

    .venv/bin/python bench/bench_edge.py [--repeats 7]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.reports import DATE, DATETIME, MONEY, Column, Sheet, write_xlsx  # noqa: E402
from api.web.json import strict_loads  # noqa: E402


def timed(fn, repeats: int, min_time: float = 0.2) -> float:
    """Median seconds per call (each sample calibrated to at least ``min_time``)."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        n *= 2
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


def cas_body(escape: bool = False) -> bytes:
    notices = [{"noticeNo": f"5004{i:05d}A", "suspensionType": "TS", "lastProcessingStage": "CSD",
                "prevProcessingStage": "CPC", "nextProcessingStage": "CSR", "lastProcessingDate": "2024-01-15",
                "prevProcessingDate": "2024-01-10", "nextProcessingDate": "2024-01-20", "atomsFlag": "Y",
                "amountPayable": 300.00, "paymentAcceptanceAllowed": "Y", "eprReasonOfSuspension": "APP",
                "eprDateOfSuspension": "2024-01-15"} for i in range(500)]
    if escape:
        notices[0]["eprReasonOfSuspension"] = "\u00e9"
    return json.dumps({"notices": notices}, ensure_ascii=True).encode()


def xlsx_rows(n: int):
    base = dt.datetime(2026, 1, 1, 8, 30)
    return [(f"5000{i:05d}A", f"SBA{i:04d}A", "030", base, base + dt.timedelta(days=30), 10100, Decimal("70.00"),
             base, "A0001 - Queen St car park", "Advisory Notice detected - qualified AN") for i in range(n)]


def bare_openpyxl(rows) -> bytes:
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("ANS Report")
    ws.append(["Notice Number", "Vehicle Number", "Subsystem", "Suspension Date", "Revival Date", "Offense Code",
               "Composition Amount", "Notice Date", "Parking Place", "Suspension Remarks"])
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def shared_writer(rows) -> bytes:
    fmts = (None, None, None, DATE, DATE, None, MONEY, DATETIME, None, None)
    cols = [Column(f"c{i}", None, f) for i, f in enumerate(fmts)]
    return write_xlsx([Sheet("ANS Report", cols, rows)])


def request_share(repeats: int) -> tuple[float, float, float]:
    """(total ms, before-request hooks ms, strict parse ms) of one 500-notice CAS API 2 request (no rows match)."""
    from api import create_app
    from repository.migrate import upgrade
    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{tmp}/bench.db"
    upgrade(url)
    app = create_app({"OCMS_DATABASE_URL": url, "OCMS_API_KEYS": {"cas": "k"}, "OCMS_RULES_CHECK_INTERVAL": 3600})
    client = app.test_client()
    body = cas_body()
    headers = {"Ocp-Apim-Subscription-Key": "k", "Content-Type": "application/json"}
    assert client.post("/v1/ocms/cas-updateCourtNotices", data=body, headers=headers).status_code == 200
    total = timed(lambda: client.post("/v1/ocms/cas-updateCourtNotices", data=body, headers=headers), repeats)
    edge = app.before_request_funcs[None][1:4]  # credentials, body size, query/path text (after the request id)
    env = {"CONTENT_TYPE": "application/json", "HTTP_OCP_APIM_SUBSCRIPTION_KEY": "k"}
    with app.test_request_context("/v1/ocms/cas-updateCourtNotices", method="POST", data=body, environ_base=env):
        app.preprocess_request()  # route matched, request id set, like a real request

        def run_hooks():
            from flask import g
            g.pop("caller", None)
            for h in edge:
                h()
        hooks = timed(run_hooks, repeats)
    parse = timed(lambda: strict_loads(body), repeats) - timed(lambda: json.loads(body), repeats)
    return total * 1000, hooks * 1000, parse * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    clean, escaped = cas_body(), cas_body(escape=True)
    bare = timed(lambda: json.loads(clean), args.repeats)
    strict = timed(lambda: strict_loads(clean), args.repeats)
    bare_e = timed(lambda: json.loads(escaped), args.repeats)
    strict_e = timed(lambda: strict_loads(escaped), args.repeats)
    print(f"JSON, 500-notice CAS API 2 body ({len(clean) / 1024:.0f} kB):")
    print(f"  json.loads {bare * 1e3:7.3f} ms   strict_loads {strict * 1e3:7.3f} ms   ratio {strict / bare:.2f}x")
    print(f"  with a \\u escape: json.loads {bare_e * 1e3:7.3f} ms   strict_loads {strict_e * 1e3:7.3f} ms   "
          f"ratio {strict_e / bare_e:.2f}x")
    rows = xlsx_rows(10_000)
    b = timed(lambda: bare_openpyxl(rows), max(3, args.repeats // 2), min_time=0)
    s = timed(lambda: shared_writer(rows), max(3, args.repeats // 2), min_time=0)
    print(f"Excel, 10,000 rows x 10 columns: bare openpyxl {b * 1e3:7.1f} ms   shared writer {s * 1e3:7.1f} ms   "
          f"ratio {s / b:.2f}x")
    total, hooks, parse = request_share(args.repeats)
    print(f"CAS API 2 request, 500 notices (SQLite, none found): total {total:.2f} ms; edge hooks {hooks:.3f} ms "
          f"({hooks / total:.1%}); strict parsing over bare json {parse:.3f} ms ({parse / total:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
