"""Decision-table checks (engine/tables.py) against brute-force enumeration, in one run.

    .venv/bin/python bench/bench_tables.py            # 40 rows, 4 columns of 6 values
    .venv/bin/python bench/bench_tables.py --rows 80 --columns 5 --values 8

A seeded random table (cells: '*', one value, a list, not-in) over declared
domains; the checker (value classes + cube subtraction) and the brute-force
enumeration of every combination find the same gaps and subsumed rows, and
the ratio of their times is printed. Also times the check of every table in
rules/ as a share of loading the directory.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.model import TRUE, And, Leaf, Or  # noqa: E402
from engine.tables import Column, Row, brute_force, check_table  # noqa: E402


def table(rows: int, columns: int, values: int, seed: int):
    rnd = random.Random(seed)
    domain = tuple(f"V{i}" for i in range(values))
    cols = [Column(f"c{j}", "string", domain=domain) for j in range(columns)]
    out = []
    for i in range(rows):
        cells = []
        for c in cols:
            kind = rnd.choice(["any", "any", "eq", "in", "not_in"])
            pick = rnd.sample(domain, rnd.randint(1, 3))
            if kind == "any":
                cells.append(TRUE)
            elif kind == "eq":
                cells.append(Leaf(c.name, "eq", pick[0]))
            elif kind == "in":
                cells.append(Or(tuple(Leaf(c.name, "eq", v) for v in pick)) if len(pick) > 1 else Leaf(c.name, "eq", pick[0]))
            else:
                cells.append(And(tuple(Leaf(c.name, "neq", v) for v in pick)) if len(pick) > 1 else Leaf(c.name, "neq", pick[0]))
        out.append(Row(f"R{i}", tuple(cells), rnd.choice("XYZ")))
    return cols, out, domain


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--columns", type=int, default=4)
    ap.add_argument("--values", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    cols, rows, domain = table(a.rows, a.columns, a.values, a.seed)
    t0 = time.perf_counter()
    result = check_table(cols, rows, "first")
    t_check = time.perf_counter() - t0
    t0 = time.perf_counter()
    truth = brute_force(cols, rows, [domain] * len(cols))
    t_brute = time.perf_counter() - t0
    assert result.uncovered() == set(truth["gaps"]), "checker and brute force disagree on gaps"
    flagged = {f.rows[0] for f in result.findings if f.kind in ("subsumed", "never_matches")}
    assert flagged == truth["subsumed"], "checker and brute force disagree on subsumed rows"
    combos = a.values ** a.columns
    print(f"table: {a.rows} rows x {a.columns} columns of {a.values} values ({combos} combinations); "
          f"findings: {len(result.findings)}, uncovered combinations: {len(truth['gaps'])}")
    print(f"checker     {t_check * 1000:9.2f} ms")
    print(f"brute force {t_brute * 1000:9.2f} ms   (checker = {t_check / t_brute:.3f} x brute force)")

    import engine.loader as loader
    from api.decisions.vocabulary import VOCABULARY
    spent = []
    orig = loader.check_table

    def timed(*args, **kw):
        t = time.perf_counter()
        try:
            return orig(*args, **kw)
        finally:
            spent.append(time.perf_counter() - t)

    loader.check_table = timed
    t0 = time.perf_counter()
    loader.load_directory(Path(__file__).resolve().parents[1] / "rules", VOCABULARY)
    total = time.perf_counter() - t0
    loader.check_table = orig
    print(f"rules/: {len(spent)} tables checked in {sum(spent) * 1000:.2f} ms of {total * 1000:.0f} ms loading "
          f"({sum(spent) / total:.3f} of the load)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
