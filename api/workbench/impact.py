"""Impact of a candidate rules version: fixtures and logged decisions decided by both (issue 15).

``ocms rules diff`` and ``POST /v1/admin/rules/impact`` both call :func:`run_impact`.
The baseline is the rules in service (the published version); the candidate
is compiled in its own registry and never goes into service. Logged decisions
are streamed from ``ocms_decision_log`` (one SELECT through a server-side
cursor; recorded facts and parameter overrides) and decided in batches with
``evaluate_many`` and the decision cache (:func:`engine.impact.compare`), so a
million rows are read and decided without holding them in memory. Nothing is
written; the live path is not involved (the CLI runs in its own process).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Iterator

from engine import load_fixtures
from engine.impact import ImpactCase, ImpactReport, compare
from repository.queries import iter_logged_decisions

SOURCES = ("fixtures", "decision-log")


@dataclass
class Window:
    """Which logged decisions: ``decided_at`` in [since, until), one ruleset or all, at most ``limit`` (newest)."""

    since: datetime | None = None
    until: datetime | None = None
    ruleset: str | None = None
    limit: int | None = None

    def to_dict(self) -> dict:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None, "ruleset": self.ruleset, "limit": self.limit}


def as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


def fixture_cases(fixtures_dir: str, ruleset: str | None = None) -> tuple[list[ImpactCase], list]:
    """Every fixture case (``fixtures/<ruleset>/*.yaml``) as an ImpactCase; and the fixture file errors."""
    cases, errors = load_fixtures(fixtures_dir, only_ruleset=ruleset)
    return [ImpactCase(c.ruleset, c.facts, c.parameters or None, subject=c.name, ref=f"{c.file}:{c.line}")
            for c in cases], errors


def logged_cases(rows: Iterable[tuple]) -> Iterator[ImpactCase]:
    """Decision-log rows (``LOGGED_COLUMNS``, facts and parameters as JSON text) as ImpactCases.

    The facts stay text until they must be decided: rows with the same facts
    are decided once (``ImpactCase.key``).
    """
    import json
    params_memo: dict = {}
    fired_memo: dict = {}  # few distinct fired-rule lists: each decoded once
    for id_, subject, ruleset, facts_text, params_text, fired_text, outcome in rows:
        params = None
        if params_text and params_text != "null":
            params = params_memo.get(params_text)
            if params is None:
                params = params_memo[params_text] = json.loads(params_text)
        fired = fired_memo.get(fired_text)
        if fired is None and fired_text is not None:
            fired = fired_memo[fired_text] = json.loads(fired_text) if isinstance(fired_text, str) else fired_text
        yield ImpactCase(ruleset, None, params or None, subject=subject, log_id=id_,
                         recorded_fired=fired, key=facts_text or "{}",
                         parameters_key=params_text if params else None)


def run_impact(baseline, candidate, *, database=None, against: Iterable[str] = SOURCES, fixtures_dir: str | None = None,
               window: Window | None = None, keep: int = 100, batch_size: int = 2000) -> dict:
    """Decide fixtures and/or logged decisions under both registries.

    Returns ``{"changed": bool, "fixtures": {report, errors}, "decisionLog": {report, window, truncated,
    rowsRead, seconds}}`` (a source not asked for is absent). ``window.limit``
    bounds the logged decisions read (newest first); ``truncated`` says the
    window held more.
    """
    against = tuple(against)
    window = window or Window()
    out: dict = {}
    changed = False
    if "fixtures" in against and fixtures_dir:
        t0 = time.perf_counter()
        cases, errors = fixture_cases(fixtures_dir, window.ruleset)
        report = compare(baseline, candidate, cases, keep=keep, batch_size=batch_size)
        out["fixtures"] = {**report.to_dict(), "errors": [e.to_dict() for e in errors],
                           "seconds": round(time.perf_counter() - t0, 3)}
        changed |= report.any_change
    if "decision-log" in against and database is not None:
        t0 = time.perf_counter()
        report = ImpactReport(keep=keep)
        read = 0
        truncated = False
        with database.session() as s:
            limit = window.limit + 1 if window.limit else None
            rows = iter_logged_decisions(s, since=window.since, until=window.until, ruleset=window.ruleset,
                                         limit=limit, batch_size=batch_size, facts_as_text=True)

            def bounded():
                nonlocal read, truncated
                for row in rows:
                    if window.limit and read >= window.limit:
                        truncated = True
                        return
                    read += 1
                    yield row
            compare(baseline, candidate, logged_cases(bounded()), keep=keep, batch_size=batch_size, report=report)
        seconds = time.perf_counter() - t0
        out["decisionLog"] = {**report.to_dict(), "window": window.to_dict(), "truncated": truncated,
                              "rowsRead": read, "seconds": round(seconds, 3),
                              "rowsPerSecond": round(read / seconds) if seconds > 0 else None}
        changed |= report.any_change
    out["changed"] = changed
    return out


def format_section(section: dict, limit: int) -> str:
    """One source of a :func:`run_impact` result as text: each change (up to ``limit``), then the counts."""
    lines = []
    shown = section["changes"][:limit]
    for ch in shown:
        b, a = ch["before"], ch["after"]
        lines.append(f"CHANGED  {ch['ruleset']}  {ch['subject'] or ch['ref']}  {b['outcome']} -> {a['outcome']}"
                     f"  ({ch['ref']})")
        lines.append(f"      before: fired {b['firedRules'] or '[] (default)'}"
                     + (f"  refused: {b['error']}" if b.get("error") else ""))
        lines.append(f"      after:  fired {a['firedRules'] or '[] (default)'}"
                     + (f"  refused: {a['error']}" if a.get("error") else ""))
    if section["changed"] > len(shown):
        lines.append(f"... {section['changed'] - len(shown)} more changed decision(s) not listed (--limit)")
    for rs, st in section["perRuleset"].items():
        lines.append(f"  {rs}: {st['changed']} of {st['compared']} change")
    for p in section["pairs"]:
        lines.append(f"  {p['ruleset']}: {p['before']} -> {p['after']}: {p['count']}")
    if section.get("recordedDiffers"):
        lines.append(f"  note: {section['recordedDiffers']} logged decision(s) were made by an older version and the "
                     "rules in service already decide them differently")
    lines.append(f"{section['changed']} of {section['compared']} would change")
    return "\n".join(lines)
