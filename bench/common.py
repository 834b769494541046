"""Shared by the bench scripts: the fact generator and the hand-written rules (bench_engine.py, soak.py), and
:func:`ensure_database` (every script that takes a PostgreSQL URL).

The generated mix is seeded and deliberately realistic (mostly O notices on
local vehicles, a few dozen rule codes each with its usual composition amount,
short past-offence counts), with the boundary cases of every rule mixed in so
that every rule of rules/an_qualification.yaml fires somewhere.
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RULESET = "an_qualification"
RULES_DIR = ROOT / "rules"

# The switches of the ruleset and their defaults (rules/an_qualification.yaml `parameters`).
DEFAULT_PARAMETERS = {"same_day_check": False, "past_offence_mode": "any"}
# Parameter sets used by the agreement check so that the switched rules fire too.
PARAMETER_SETS = [
    {},
    {"same_day_check": True},
    {"past_offence_mode": "ps_reasons"},
    {"same_day_check": True, "past_offence_mode": "ps_reasons"},
]

NQ, Q = "NOT_QUALIFIED", "QUALIFIED"
# rule id -> outcome (None: the default)
OUTCOMES = {
    "BR-AN-GATE-001": NQ, "BR-AN-GATE-002": NQ, "BR-AN-EXEMPT-001": NQ, "BR-AN-EXEMPT-002": NQ,
    "BR-AN-SAMEDAY-001": NQ, "BR-AN-QUAL-002": Q, "BR-AN-QUAL-002-PS": Q, None: NQ,
}
ALL_RULES = [k for k in OUTCOMES if k is not None]

# rule code -> usual composition amount
_CODES = {
    10001: 70.0, 10002: 70.0, 10003: 50.0, 10100: 120.0, 10300: 70.0, 10500: 100.0,
    11210: 70.0, 11211: 70.0, 11212: 70.0, 20411: 80.0, 20412: 80.0, 20413: 120.0,
    30101: 150.0, 30102: 150.0, 40202: 200.0, 50001: 300.0,
}
_CODE_LIST = list(_CODES)
_CODE_WEIGHTS = [10, 8, 4, 3, 6, 3, 8, 3, 2, 3, 8, 2, 2, 2, 1, 1]


def gen_facts(n: int, seed: int = 20240601, low_cardinality: bool = False) -> list[dict]:
    """n fact dicts as a caller would send them (optional facts sometimes absent, sometimes null).

    low_cardinality: a caller that sends only what the default switches read
    (no past_qualifying_offences_24m / same_day_an_count) and past offences
    capped at 3 — fewer distinct decision-cache keys.
    """
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        f = {
            "offence_notice_type": rnd.choices(["O", "E", "U"], [85, 10, 5])[0],
            "vehicle_registration_type": rnd.choices(["S", "D", "V", "I", "F", "s", "X"], [70, 8, 5, 5, 10, 1, 1])[0],
        }
        code = rnd.choices(_CODE_LIST, _CODE_WEIGHTS)[0]
        amount = _CODES[code]
        if code in (20412, 20411) and rnd.random() < 0.3:  # the 80.00 boundary
            amount = rnd.choice([79.99, 80.01, 70.0, 80.0])
        f["computer_rule_code"] = code
        f["composition_amount"] = amount
        r = rnd.random()
        if r < 0.5:
            pass  # vehicle_category absent
        elif r < 0.6:
            f["vehicle_category"] = None
        else:
            f["vehicle_category"] = rnd.choices(["LB", "HL", "CP", "MC"], [4, 2, 3, 1])[0]
        past = rnd.choices([0, 1, 2, 3, 4, 5, 8], [45, 25, 12, 8, 4, 4, 2])[0]
        f["past_offences_24m"] = past
        if low_cardinality:
            f["past_offences_24m"] = min(past, 3)
            out.append(f)
            continue
        r = rnd.random()
        if r < 0.5:
            f["past_qualifying_offences_24m"] = rnd.randint(0, min(past, 2))
        elif r < 0.6:
            f["past_qualifying_offences_24m"] = None
        r = rnd.random()
        if r < 0.5:
            f["same_day_an_count"] = rnd.choices([0, 1, 2], [80, 15, 5])[0]
        out.append(f)
    return out


def hand_written(facts: dict, same_day_check: bool = False, past_offence_mode: str = "any") -> tuple[str, str | None]:
    """rules/an_qualification.yaml written by hand: (outcome, rule id or None for the default)."""
    if facts["offence_notice_type"] != "O":
        return NQ, "BR-AN-GATE-001"
    if facts["vehicle_registration_type"] not in ("S", "D", "V", "I"):
        return NQ, "BR-AN-GATE-002"
    code = facts["computer_rule_code"]
    if code == 20412 and facts["composition_amount"] == 80.0:
        return NQ, "BR-AN-EXEMPT-001"
    if code == 11210 and facts.get("vehicle_category") in ("LB", "HL"):
        return NQ, "BR-AN-EXEMPT-002"
    if same_day_check:
        c = facts.get("same_day_an_count")
        if c is not None and c > 0:
            return NQ, "BR-AN-SAMEDAY-001"
    if past_offence_mode == "any":
        if facts["past_offences_24m"] > 0:
            return Q, "BR-AN-QUAL-002"
    elif past_offence_mode == "ps_reasons":
        c = facts.get("past_qualifying_offences_24m")
        if c is not None and c > 0:
            return Q, "BR-AN-QUAL-002-PS"
    return NQ, None


def of_decision(d) -> tuple[str, str | None]:
    """An engine Decision as (outcome, first fired rule id or None)."""
    return d.outcome, (d.fired[0] if d.fired else None)


def rss_kb() -> int:
    return _status("VmRSS")


def os_threads() -> int:
    return _status("Threads")


def _status(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if it does not exist yet; any other URL: nothing.

    Connects to the server's ``postgres`` (else ``template1``) database to look and to create it; says on
    stderr when it created one. A server that cannot be reached, or a database that cannot be created,
    ends the script with a message naming the database (no traceback).
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    from repository.db import normalise_url
    u = normalise_url(url)
    if u.get_backend_name() != "postgresql":
        return
    name = u.database
    if not name:
        raise SystemExit(f"{u.render_as_string()}: the URL names no database")
    where = f"{u.host or 'localhost'}:{u.port or 5432}"
    error = ""
    for maintenance in ("postgres", "template1"):
        admin = create_engine(u.set(database=maintenance), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as c:
                if c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                    return
                quoted = c.dialect.identifier_preparer.quote_identifier(name)
                try:
                    c.execute(text(f"CREATE DATABASE {quoted}"))
                except DBAPIError as e:
                    if getattr(e.orig, "sqlstate", None) == "42P04":  # duplicate_database: created meanwhile
                        return
                    raise SystemExit(f"database {name!r} on {where} does not exist and could not be created: "
                                     f"{str(e.orig).strip()}") from None
                print(f"created database {name!r} on {where} (it did not exist)", file=sys.stderr)
                return
        except DBAPIError as e:
            error = str(e.orig).strip()
            if f'database "{maintenance}" does not exist' not in error:
                break  # the server itself cannot be reached (or refuses this role): the next one would not do
        finally:
            admin.dispose()
    raise SystemExit(f"cannot reach PostgreSQL on {where} to check that database {name!r} exists: {error}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (/proc/<pid>/stat), 0 if it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc), e.g. a gunicorn master and its workers."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out
