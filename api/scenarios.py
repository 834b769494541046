"""Replay API scenarios: given rows, when a request, then the response and the rows.

A scenario file, `fixtures/scenarios/<area>/<anything>.yaml`, is a list of::

    - name: API 1 - the spec's example
      given:                               # rows inserted first (every table starts empty)
        ocms_valid_offence_notice:
          - {notice_no: 500400058A, vehicle_no: SBA1234A, ...}
      request:
        method: POST                       # default POST
        path: /v1/ocms/cas-getPaymentStatus
        auth: cas                          # a system's key | none | {jwt: {sub: officer1, roles: [OIC]}}
        json: {"noticeNumbers": ["500400058A"]}   # or body: '<raw text>' for malformed input
        headers: {X-Request-ID: abc}       # optional
      expect:
        status: 200
        json: {...}                        # subset: keys given must match; lists element-wise, same length
        body: '...'                        # exact raw body text (number formats such as 300.00)
        rows:                              # rows that must exist afterwards, matched on the first column given
          ocms_valid_offence_notice: [{notice_no: 500400058A, last_processing_stage: CSD}]
        absent:                            # rows that must not exist, matched on all columns given
          ocms_court_case: [{notice_no: 500400059B}]
        unchanged: [ocms_valid_offence_notice]   # tables whose rows are exactly as given

Dates relative to the business date (Singapore time by default) keep a
scenario true on any day: ``"${today}"`` is today's date, ``"${today-24m}"``
24 months earlier, ``"${today+3d}"``, ``"${today-1y-2d}"`` (units ``d`` days,
``m`` months, ``y`` years, applied left to right; a month's day is clamped:
31 Mar - 1m = 28/29 Feb). Anything around them stays, so
``"${today-24m}T00:00:00"`` is a datetime. They work in ``given``,
``request`` and ``expect`` alike.

The runner talks to the real app (Flask test client) and a real database;
the same files run in pytest and through `ocms scenarios test`.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import time
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
import yaml
from sqlalchemy import Date, DateTime, Numeric, String, and_, insert, select

from engine.errors import RulesError
from engine.loader import YamlLoader, explain_yaml_error
from repository import business_time
from repository.migrate import delete_all_rows
from repository.models import metadata

from .database import get_db

SCENARIO_KEYS = {"name", "description", "given", "request", "expect"}
REQUEST_KEYS = {"method", "path", "auth", "json", "body", "headers", "query"}
EXPECT_KEYS = {"status", "json", "body", "rows", "absent", "unchanged"}


@dataclass
class Scenario:
    name: str
    file: str
    line: int
    given: dict[str, list[dict]]
    request: dict
    expect: dict

    @property
    def id(self) -> str:
        return f"{Path(self.file).parent.name}/{Path(self.file).stem}: {self.name}"


@dataclass
class ScenarioResult:
    scenario: Scenario
    problems: list[str]
    status: int | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


def load_scenarios(directory: str | Path) -> tuple[list[Scenario], list[RulesError]]:
    """Read every scenario file under a directory; collect located errors."""
    d = Path(directory)
    if not d.is_dir():
        return [], [RulesError(str(d), 1, 1, "not_a_directory", f"scenarios directory {str(d)!r} does not exist")]
    scenarios, errors = [], []
    for f in sorted(d.rglob("*.yaml")):
        text = f.read_text(encoding="utf-8")
        try:
            root = yaml.compose(text, Loader=YamlLoader)
        except yaml.MarkedYAMLError as e:
            line, col, code, message, hint = explain_yaml_error(e, text)  # plain words, as for rules files
            lines = text.splitlines()
            errors.append(RulesError(str(f), line, col, code, message, hint,
                                     excerpt=lines[line - 1] if 0 < line <= len(lines) else ""))
            continue
        if root is None:
            continue
        if not isinstance(root, yaml.SequenceNode):
            errors.append(RulesError(str(f), 1, 1, "bad_shape", "a scenario file is a list of scenarios"))
            continue
        con = yaml.constructor.SafeConstructor()
        for node in root.value:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            raw = con.construct_object(node, deep=True)
            problem = _shape_problem(raw)
            if problem:
                errors.append(RulesError(str(f), line, col, "bad_scenario", problem,
                                         "a scenario has name, given (optional), request {path, ...} and expect {status, ...}"))
                continue
            scenarios.append(Scenario(str(raw["name"]), str(f), line, raw.get("given") or {}, raw["request"], raw["expect"]))
    return scenarios, errors


def _shape_problem(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return "a scenario must be a mapping"
    if set(raw) - SCENARIO_KEYS:
        return f"unknown keys {sorted(set(raw) - SCENARIO_KEYS)}"
    for k in ("name", "request", "expect"):
        if k not in raw:
            return f"missing {k!r}"
    if not isinstance(raw["request"], dict) or "path" not in raw["request"] or set(raw["request"]) - REQUEST_KEYS:
        return f"request needs a path and only {sorted(REQUEST_KEYS)}"
    if not isinstance(raw["expect"], dict) or set(raw["expect"]) - EXPECT_KEYS:
        return f"expect may only have {sorted(EXPECT_KEYS)}"
    for table in list((raw.get("given") or {})) + list(raw["expect"].get("rows") or {}) + list(raw["expect"].get("unchanged") or []):
        if table not in metadata.tables:
            return f"unknown table {table!r}"
    return None


# ---- relative dates -------------------------------------------------------------
_RELATIVE = re.compile(r"\$\{today((?:[+-]\d+[dmy])*)\}")
_STEP = re.compile(r"([+-])(\d+)([dmy])")


def shift(day: dt.date, steps: str) -> dt.date:
    """``day`` moved by ``steps`` such as ``-24m+1d`` (days, months, years; left to right, days clamped)."""
    for sign, amount, unit in _STEP.findall(steps):
        n = int(amount) * (1 if sign == "+" else -1)
        if unit == "d":
            day = day + dt.timedelta(days=n)
            continue
        months = day.year * 12 + day.month - 1 + (n * 12 if unit == "y" else n)
        year, month = divmod(months, 12)
        day = day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))
    return day


def resolve_dates(value: Any, today: dt.date | None = None) -> Any:
    """``value`` with every ``${today...}`` replaced by the ISO date it names (recursively through lists and maps)."""
    today = today or business_time.today()
    if isinstance(value, str):
        return _RELATIVE.sub(lambda m: shift(today, m.group(1)).isoformat(), value) if "${" in value else value
    if isinstance(value, list):
        return [resolve_dates(v, today) for v in value]
    if isinstance(value, dict):
        return {resolve_dates(k, today): resolve_dates(v, today) for k, v in value.items()}
    return value


# ---- running -----------------------------------------------------------------
def run_scenario(app, scenario: Scenario) -> ScenarioResult:
    """Empty the tables, insert the given rows, send the request, check the answer and the rows."""
    today = business_time.today()
    scenario = Scenario(scenario.name, scenario.file, scenario.line, resolve_dates(scenario.given, today),
                        resolve_dates(scenario.request, today), resolve_dates(scenario.expect, today))
    engine = get_db(app).engine
    delete_all_rows(engine)
    try:
        _insert(engine, scenario.given)
    except Exception as e:  # bad given rows are the scenario's fault: say which
        return ScenarioResult(scenario, [f"given rows could not be inserted: {str(e).splitlines()[0]}"])
    before = {t: _rows(engine, t) for t in scenario.expect.get("unchanged") or []}
    req = scenario.request
    headers = dict(req.get("headers") or {})
    headers.update(_auth_headers(app, req.get("auth")))
    kwargs: dict[str, Any] = {"headers": headers}
    if "json" in req:
        kwargs["json"] = req["json"]
    elif "body" in req:
        kwargs["data"] = req["body"]
        headers.setdefault("Content-Type", "application/json")
    if req.get("query"):
        kwargs["query_string"] = req["query"]
    resp = app.test_client().open(req["path"], method=req.get("method", "POST"), **kwargs)
    exp = scenario.expect
    problems: list[str] = []
    if "status" in exp and resp.status_code != exp["status"]:
        problems.append(f"status: expected {exp['status']}, got {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
    if "body" in exp and resp.get_data(as_text=True).strip() != str(exp["body"]).strip():
        problems.append(f"body: expected {exp['body']!r}, got {resp.get_data(as_text=True)!r}")
    if "json" in exp:
        try:
            got = json.loads(resp.get_data(as_text=True))
        except ValueError:
            problems.append(f"json: the response is not JSON: {resp.get_data(as_text=True)[:200]!r}")
        else:
            problems.extend(match(exp["json"], got, "json"))
    for table, rows in (exp.get("rows") or {}).items():
        problems.extend(_check_rows(engine, table, rows))
    for table, rows in (exp.get("absent") or {}).items():
        for row in rows:
            if _select(engine, table, row):
                problems.append(f"rows.{table}: a row matching {row} should not exist")
    for table, rows in before.items():
        after = _rows(engine, table)
        if after != rows:
            problems.append(f"unchanged.{table}: rows changed ({len(rows)} before, {len(after)} after)")
    return ScenarioResult(scenario, problems, resp.status_code)


def _auth_headers(app, auth) -> dict:
    if auth in (None, "none"):
        return {}
    if isinstance(auth, str):
        key = (app.config.get("OCMS_API_KEYS") or {}).get(auth)
        if key is None:
            raise ValueError(f"scenario asks for the {auth!r} key, which the app has no key for")
        return {"Ocp-Apim-Subscription-Key": key}
    if isinstance(auth, dict) and "jwt" in auth:
        claims = {"exp": int(time.time()) + 3600, **dict(auth["jwt"])}  # tokens must expire (api.web.auth)
        token = jwt.encode(claims, app.config["OCMS_JWT_SECRET"], algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}
    if isinstance(auth, dict) and "key" in auth:  # a literal (e.g. wrong) key
        return {"Ocp-Apim-Subscription-Key": str(auth["key"])}
    raise ValueError(f"unknown auth {auth!r}")


def _coerce(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime) and isinstance(value, (str, dt.date)) and not isinstance(value, dt.datetime):
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else dt.datetime(value.year, value.month, value.day)
    if isinstance(column.type, Date) and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(column.type, Numeric) and isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(column.type, String) and not isinstance(value, str):
        return str(value)
    return value


def _insert(engine, given: dict[str, list[dict]]) -> None:
    order = [t.name for t in metadata.sorted_tables if t.name in given]
    with engine.begin() as conn:
        for name in order:
            table = metadata.tables[name]
            groups: dict[tuple, list[dict]] = {}  # executemany takes its columns from the first row: group by columns
            for row in given[name]:
                groups.setdefault(tuple(sorted(row)), []).append({k: _coerce(table.c[k], v) for k, v in row.items()})
            for rows in groups.values():
                conn.execute(insert(table), rows)


def _select(engine, table_name: str, where: dict) -> list[dict]:
    table = metadata.tables[table_name]
    cond = and_(*[(table.c[k].is_(None) if v is None else table.c[k] == _coerce(table.c[k], v)) for k, v in where.items()])
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).where(cond))]


def _rows(engine, table_name: str) -> list[dict]:
    table = metadata.tables[table_name]
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(table))]
    return sorted(rows, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def _check_rows(engine, table: str, expected: list[dict]) -> list[str]:
    problems = []
    for row in expected:
        if not row:
            continue
        first = next(iter(row))
        found = _select(engine, table, {first: row[first]})
        if not found:
            problems.append(f"rows.{table}: no row with {first}={row[first]!r}")
            continue
        best = min((match(row, dict(f), f"rows.{table}[{first}={row[first]}]") for f in found), key=len)
        problems.extend(best)
    return problems


def _norm(v):
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def match(expected, actual, path: str) -> list[str]:
    """Differences between an expected subset and an actual value (JSON or row)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        out = []
        for k, v in expected.items():
            if k not in actual:
                out.append(f"{path}.{k}: missing")
            else:
                out.extend(match(v, actual[k], f"{path}.{k}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"[:400]]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            out.extend(match(e, a, f"{path}[{i}]"))
        return out
    e, a = _norm(expected), _norm(actual)
    if isinstance(a, str) and isinstance(e, str) and len(e) == 10 and len(a) > 10 and a[10] == "T":
        a = a[:10]  # a date expected, a datetime stored
    if isinstance(e, (int, float)) and isinstance(a, (int, float)) and not isinstance(e, bool):
        return [] if abs(e - a) < 1e-9 else [f"{path}: expected {expected!r}, got {actual!r}"]
    return [] if e == a else [f"{path}: expected {expected!r}, got {actual!r}"]


def format_results(results: list[ScenarioResult], errors: list[RulesError] = (), verbose: bool = True) -> str:
    """Pass/fail per scenario and a summary line."""
    lines = [str(e) for e in errors]
    for r in results:
        if verbose or not r.passed:
            lines.append(f"{'PASS' if r.passed else 'FAIL'}  {r.scenario.id}  ({r.scenario.file}:{r.scenario.line})")
        lines.extend(f"      {p}" for p in r.problems)
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} scenarios passed, {len(results) - passed} failed"
                 + (f", {len(errors)} file errors" if errors else ""))
    return "\n".join(lines)
