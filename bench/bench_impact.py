"""Impact of a rules change over the decision log: rows/s against the bare SQL read of the same rows.

    .venv/bin/python bench/bench_impact.py --database-url postgresql://root@127.0.0.1:5432/test_workbench_bench
    .venv/bin/python bench/bench_impact.py --database-url ... --rows 100000      # a quicker run

1. Creates the database if needed, migrates it, publishes ``rules/`` (generation 1, as a first start does).
2. Fills ``ocms_decision_log`` up to ``--rows`` AN-qualification decisions (``caller = 'bench'``), with
   facts from ``common.gen_facts`` (the realistic, skewed mix of bench_engine.py) decided by the rules
   in service, inserted with COPY. Kept between runs (``--fresh`` starts again).
3. Times, in one run, back to back:
   * the bare SQL read: one SELECT of the same columns through a psycopg server-side cursor (JSON decoded),
     every row fetched, nothing else done;
   * ``run_impact`` (what ``ocms rules diff CANDIDATE --against decision-log`` runs): the same rows streamed,
     decided by the published rules and by a candidate (the past-offence threshold moved from > 0 to > 2)
     in batches with the decision cache, every change counted per ruleset and outcome pair.
Prints rows/s of both, the ratio, the decisions that change and the machine's load (uptime) next to them.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import ensure_database, gen_facts  # noqa: E402

COLUMNS = ("decided_at", "request_id", "caller", "ruleset", "ruleset_version", "ruleset_hash", "subject", "facts",
           "outcome", "outputs", "actions", "fired_rules", "dry_run", "parameters")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def fill(app, url: str, rows: int, fresh: bool, distinct: int) -> float:
    """Top the decision log up to ``rows`` bench rows; return the seconds it took (0 if nothing to do)."""
    import psycopg
    from api.decisions.log import decision_log_row
    from api.decisions.service import get_rules
    plain = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as c:
        if fresh:
            c.execute("DELETE FROM ocms_decision_log WHERE caller = 'bench'")
        have = c.execute("SELECT count(*) FROM ocms_decision_log WHERE caller = 'bench'").fetchone()[0]
    need = rows - have
    if need <= 0:
        return 0.0
    t0 = time.perf_counter()
    reg = get_rules(app).registry
    pool = gen_facts(distinct, seed=7)
    decisions = reg.evaluate_many("an_qualification", pool)
    lines = []
    for d in decisions:
        r = decision_log_row(d, None, None, "bench")
        lines.append(r)
    rnd = random.Random(11)
    with psycopg.connect(plain) as c:
        with c.cursor() as cur:
            with cur.copy(f"COPY ocms_decision_log ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for i in range(need):
                    r = lines[rnd.randrange(len(lines))]
                    copy.write_row((f"2026-11-{1 + i % 28:02d} 10:00:00", f"bench-{i}", "bench", r["ruleset"],
                                    r["ruleset_version"], r["ruleset_hash"], f"B{have + i:09d}",
                                    json.dumps(r["facts"]), r["outcome"], json.dumps(r["outputs"]),
                                    json.dumps(r["actions"]), json.dumps(r["fired_rules"]), False, None))
        c.commit()
        c.execute("ANALYZE ocms_decision_log")
        c.commit()
    return time.perf_counter() - t0


def bare_read(url: str, batch: int, as_text: bool = False) -> tuple[int, float]:
    """Every row of the same columns through a server-side cursor; JSON decoded by psycopg, or as text."""
    import psycopg
    t0 = time.perf_counter()
    n = 0
    cols = "facts::text, parameters::text, fired_rules::text" if as_text else "facts, parameters, fired_rules"
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as c:
        with c.cursor(name="bench_read") as cur:
            cur.itersize = batch
            cur.execute(f"SELECT id, subject, ruleset, {cols}, outcome FROM ocms_decision_log "
                        "WHERE dry_run = false")
            for _ in cur:
                n += 1
    return n, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=os.environ.get("OCMS_BENCH_PG_URL"),
                    help="a PostgreSQL database of its own (created if missing)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=5000, help="rows per fetch and per evaluate_many")
    ap.add_argument("--fresh", action="store_true", help="delete the bench rows first")
    ap.add_argument("--distinct", type=int, default=20_000,
                    help="distinct fact sets the rows are drawn from (when filling)")
    args = ap.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        ap.error("--database-url postgresql://... is required (the benchmark is about PostgreSQL)")
    ensure_database(args.database_url)
    from repository.migrate import upgrade
    upgrade(args.database_url)

    from api import create_app
    from api.database import get_db
    from api.decisions.service import get_rules
    from api.decisions.vocabulary import VOCABULARY
    from api.workbench.impact import Window, run_impact
    from engine import RuleRegistry
    app = create_app({"OCMS_DATABASE_URL": args.database_url, "OCMS_RULES_DIR": str(ROOT / "rules"),
                      "OCMS_LOG_LEVEL": "WARNING"})
    rules = get_rules(app)
    rules.in_service  # first start: publishes rules/ if the database has no version yet
    filled = fill(app, args.database_url, args.rows, args.fresh, args.distinct)
    if filled:
        print(f"filled the decision log to {args.rows:,} bench rows in {filled:.1f} s")

    tmp = Path(tempfile.mkdtemp())
    cand = tmp / "candidate"
    shutil.copytree(ROOT / "rules", cand)
    p = cand / "an_qualification.yaml"
    p.write_text(p.read_text().replace("past_offences_24m: {gt: 0}", "past_offences_24m: {gt: 2}"))
    candidate = RuleRegistry(cand, VOCABULARY)
    try:
        print(f"load before: {load()}")
        n_bare, t_bare = bare_read(args.database_url, args.batch)
        _, t_text = bare_read(args.database_url, args.batch, as_text=True)
        result = run_impact(rules.in_service, candidate, database=get_db(app), against=["decision-log"],
                            window=Window(), keep=100, batch_size=args.batch)
        n_bare2, t_bare2 = bare_read(args.database_url, args.batch)  # again after: the ratio uses the faster
        _, t_text2 = bare_read(args.database_url, args.batch, as_text=True)
        print(f"load after:  {load()}")
    finally:
        candidate.close()
        rules.close()
        shutil.rmtree(tmp, ignore_errors=True)
    dl = result["decisionLog"]
    bare = min(t_bare, t_bare2)
    text = min(t_text, t_text2)
    print(f"bare SQL read:   {n_bare:>10,} rows in {bare:6.2f} s = {n_bare / bare:>10,.0f} rows/s "
          f"(JSON decoded; runs {t_bare:.2f} s, {t_bare2:.2f} s)")
    print(f"bare SQL read:   {n_bare:>10,} rows in {text:6.2f} s = {n_bare / text:>10,.0f} rows/s "
          f"(facts as text, as the impact reads them; runs {t_text:.2f} s, {t_text2:.2f} s)")
    print(f"impact (diff):   {dl['rowsRead']:>10,} rows in {dl['seconds']:6.2f} s = {dl['rowsPerSecond']:>10,} rows/s")
    print(f"impact / bare read: {dl['seconds'] / bare:.1f}x (JSON decoded), {dl['seconds'] / text:.1f}x (text) the time; {dl['changed']:,} of {dl['compared']:,} "
          f"decisions would change; pairs {[(x['before'], x['after'], x['count']) for x in dl['pairs']]}")
    return 0 if dl["seconds"] < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
