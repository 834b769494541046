"""Replay fact fixtures against the rules in service and report rule coverage.

A fixture file, `fixtures/<ruleset>/<anything>.yaml`, is a list of cases (or a
mapping with `ruleset`, `parameters` for every case, and `cases`); the folder
`fixtures/scenarios/` is not a ruleset's (it holds API scenarios):

    - name: 80.00 on rule 20412 is exempt
      facts: {offence_notice_type: O, ...}
      parameters: {same_day_check: true}     # optional overrides
      expect:
        outcome: NOT_QUALIFIED
        fired: [BR-AN-EXEMPT-001]            # exact, in order ([] = default applied)
        code: ...; message: ...
        outputs: {field: value}              # the fields named must match
        actions: [{suspend: {suspension_type: PS, reason: ANS}}]   # exact list
        error: [fact_name, ...]              # the call must be refused naming these facts

Every case runs with explain on, so each replay is also a differential check
of durable_rules against the rules as written; the trace also feeds value
coverage (engine.coverage) and, for a case whose expected rule did not fire,
the reason in the rules' own words. ``junit_xml`` writes a run for CI systems.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from .decision import Decision
from .errors import EngineDisagreement, FactError, RulesError, UnknownRulesetError
from .loader import YamlLoader

NOT_RULESET_DIRS = {"scenarios"}  # fixtures/scenarios/ holds API scenarios (api/scenarios.py), not fact cases
CASE_KEYS = {"name", "facts", "parameters", "expect", "description"}
EXPECT_KEYS = {"outcome", "fired", "code", "message", "outputs", "actions", "error", "default"}


@dataclass
class Case:
    ruleset: str
    name: str
    facts: dict
    expect: dict
    file: str
    line: int
    parameters: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.ruleset}: {self.name}"


@dataclass
class CaseResult:
    case: Case
    problems: list[str]
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class Report:
    results: list[CaseResult]
    coverage: dict[str, dict[str, int]]  # ruleset -> rule id -> times fired
    errors: list[RulesError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.passed for r in self.results)

    @property
    def uncovered(self) -> dict[str, list[str]]:
        return {rs: [r for r, n in rules.items() if n == 0] for rs, rules in self.coverage.items()
                if any(n == 0 for n in rules.values())}


def fixture_files(path: str | Path) -> tuple[list[Path], str]:
    """The fixture files a path names, and where that looked (for a "no case found" message).

    ``path`` may be the fixtures root (``fixtures/``: every ``<ruleset>/*.yaml``),
    one ruleset's folder (``fixtures/an_qualification``: its ``*.yaml``) or one
    fixture file. ``fixtures/scenarios/`` holds API scenarios, never fact cases.
    """
    p = Path(path)
    if any(part in NOT_RULESET_DIRS for part in p.resolve().parts[-3:]):
        return [], f"{p}, which holds API scenarios, not fact cases (run them with 'ocms scenarios test')"
    if p.is_file():
        return [p], f"the file {p}"
    if not p.is_dir():
        return [], f"{p} (no such file or folder)"
    own = [f for f in sorted(p.glob("*.y*ml")) if f.is_file() and not f.name.startswith((".", "_"))]
    nested = [f for f in sorted(p.glob("*/*.y*ml")) if f.parent.name not in NOT_RULESET_DIRS and f.is_file()]
    return own + nested, f"{p}/*.yaml and {p}/<ruleset>/*.yaml"


def load_fixtures(path: str | Path, only_ruleset: str | None = None) -> tuple[list[Case], list[RulesError]]:
    """Read the fixture cases a path names (see fixture_files) -> (cases, located errors).

    A file's cases belong to the ruleset named by its ``ruleset:`` key, else by
    its folder. Finding no case at all is an error (code ``no_cases``) saying
    where it looked: a run over nothing must not pass.
    """
    files, where = fixture_files(path)
    cases: list[Case] = []
    errors: list[RulesError] = []
    for f in files:
        c, e = _load_file(f, f.parent.name)
        errors.extend(e)
        cases.extend(x for x in c if only_ruleset in (None, x.ruleset))
    if not cases and not errors:
        what = f" for ruleset {only_ruleset!r}" if only_ruleset else ""
        errors.append(RulesError(str(path), 1, 1, "no_cases", f"no fixture case found{what}: looked in {where}",
                                 "point at the fixtures folder, one ruleset's folder (fixtures/<ruleset>) or one fixture file"))
    return cases, errors


def replay(registry, path: str | Path, only_ruleset: str | None = None) -> Report:
    """Load the fixtures a path names and replay them; coverage covers the rulesets they exercise.

    Over the fixtures root every loaded ruleset is in the coverage (so a
    ruleset without fixtures shows as uncovered); over a ruleset's folder or
    one file, only the rulesets its cases name.
    """
    cases, errors = load_fixtures(path, only_ruleset)
    p = Path(path)
    whole = cases and p.is_dir() and not any(f.parent == p for f in fixture_files(p)[0]) and only_ruleset is None
    scope = None if whole else sorted({c.ruleset for c in cases})
    return run_fixtures(registry, cases, errors, scope=scope)


def _load_file(path: Path, default_ruleset: str | None) -> tuple[list[Case], list[RulesError]]:
    shown = str(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=YamlLoader)
    except yaml.MarkedYAMLError as e:
        m = e.problem_mark
        return [], [RulesError(shown, m.line + 1 if m else 1, m.column + 1 if m else 1, "yaml_syntax", str(e.problem))]
    if root is None:
        return [], []
    con = yaml.constructor.SafeConstructor()  # one per file: its memo dies with it
    errors: list[RulesError] = []
    ruleset, shared_params, items = default_ruleset, {}, root
    if isinstance(root, yaml.MappingNode):
        top = {con.construct_object(k): v for k, v in root.value}
        ruleset = con.construct_object(top["ruleset"]) if "ruleset" in top else ruleset
        shared_params = con.construct_object(top["parameters"], deep=True) if "parameters" in top else {}
        items = top.get("cases")
    if not isinstance(items, yaml.SequenceNode):
        return [], [RulesError(shown, 1, 1, "bad_shape", "a fixture file is a list of cases (or a mapping with cases:)")]
    if not ruleset:
        return [], [RulesError(shown, 1, 1, "missing_key", "which ruleset? put the file under fixtures/<ruleset>/ or add ruleset:")]
    cases = []
    for node in items.value:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        raw = con.construct_object(node, deep=True)
        if not isinstance(raw, dict):
            errors.append(RulesError(shown, line, col, "bad_shape", "a case is a mapping with name, facts, expect"))
            continue
        bad = set(raw) - CASE_KEYS
        missing = {"name", "facts", "expect"} - set(raw)
        if bad or missing:
            errors.append(RulesError(shown, line, col, "unknown_key" if bad else "missing_key",
                                     f"case {raw.get('name', '?')!r}: " + (f"unknown keys {sorted(bad)}" if bad else f"missing {sorted(missing)}"),
                                     f"a case has {', '.join(sorted(CASE_KEYS))}"))
            continue
        exp = raw["expect"] or {}
        if not isinstance(exp, dict) or set(exp) - EXPECT_KEYS:
            errors.append(RulesError(shown, line, col, "unknown_key", f"case {raw['name']!r}: bad expect",
                                     f"expect may check {', '.join(sorted(EXPECT_KEYS))}"))
            continue
        cases.append(Case(str(ruleset), str(raw["name"]), raw["facts"] or {}, exp, shown, line,
                          {**shared_params, **(raw.get("parameters") or {})}))
    return cases, errors


def _action_list(actions) -> list[dict]:
    out = []
    for a in actions or []:
        if isinstance(a, str):
            out.append({a: {}})
        else:
            out.append({k: (v or {}) for k, v in a.items()})
    return out


def _same(got, want) -> bool:
    """Equal, numbers compared by the decimal they say (10.00 is 10.0)."""
    nums = (int, float, Decimal)
    if isinstance(got, nums) and isinstance(want, nums) and not isinstance(got, bool) and not isinstance(want, bool):
        return Decimal(str(got)) == Decimal(str(want))
    return got == want


def check_case(case: Case, decision: Decision) -> list[str]:
    """What in the decision differs from the case's expectations."""
    exp, problems = case.expect, []
    if "error" in exp:
        return [f"expected the facts to be refused ({exp['error']}), got outcome {decision.outcome!r}"]
    for key in ("outcome", "code", "message"):
        if key in exp and getattr(decision, key) != (None if exp[key] is None else str(exp[key])):
            problems.append(f"{key}: expected {exp[key]!r}, got {getattr(decision, key)!r}")
    if "fired" in exp and list(exp["fired"] or []) != decision.fired:
        problems.append(f"fired: expected {exp['fired']}, got {decision.fired}")
        problems.extend(_why_not(decision, [str(r) for r in exp["fired"] or [] if r not in decision.fired]))
    if "default" in exp and bool(exp["default"]) != decision.default_applied:
        problems.append(f"default: expected {exp['default']}, got {decision.default_applied}")
    for k, v in (exp.get("outputs") or {}).items():
        if not _same(decision.outputs.get(k), v):
            problems.append(f"outputs.{k}: expected {v!r}, got {decision.outputs.get(k)!r}")
    if "actions" in exp:
        got = [{a.name: a.params} for a in decision.actions]
        if _action_list(exp["actions"]) != got:
            problems.append(f"actions: expected {exp['actions']}, got {got}")
    return problems


def _why_not(decision: Decision, rule_ids: list[str]) -> list[str]:
    """Why each expected rule did not fire, from the trace, in the rules' own words (as written)."""
    steps = {t.rule: t for t in decision.trace or []}
    out = []
    for rid in rule_ids:
        t = steps.get(rid)
        if t is None:
            out.append(f"  {rid}: no such rule in ruleset {decision.ruleset!r}")
        elif not t.tried:
            out.append(f"  {rid} was not tried: {decision.fired[0] if decision.fired else 'an earlier rule'} "
                       "matched first")
        elif t.failed_condition is not None:
            where = f", line {t.line}" if t.line else ""
            out.append(f"  {rid} did not match: {t.failed_condition} is false for {t.actual!r}{where}")
    return out


def run_case(registry, case: Case) -> CaseResult:
    """Evaluate one case through the engine (explain on) and compare."""
    try:
        decision = registry.evaluate(case.ruleset, case.facts, explain=True, parameters=case.parameters, use_cache=False)
    except FactError as e:
        want = case.expect.get("error")
        if want is None:
            return CaseResult(case, [f"facts refused: {e}"])
        want = [want] if isinstance(want, str) else list(want)
        missing = [f for f in want if f not in e.fields]
        return CaseResult(case, [f"refusal did not name {missing} (named {e.fields})"] if missing else [])
    except UnknownRulesetError as e:
        return CaseResult(case, [str(e)])
    except EngineDisagreement as e:
        return CaseResult(case, [f"ENGINE DISAGREEMENT: {e}"])
    return CaseResult(case, check_case(case, decision), decision)


def run_fixtures(registry, cases: list[Case], errors: list[RulesError] | None = None,
                 scope: list[str] | None = None) -> Report:
    """Replay cases; count how often each rule fired, for every loaded ruleset (or those in ``scope``)."""
    coverage = {rs.name: {rid: 0 for rid in rs.rule_ids()} for rs in registry.rulesets()
                if scope is None or rs.name in scope}
    results = []
    for case in cases:
        r = run_case(registry, case)
        if r.decision is not None:
            for rid in r.decision.fired:
                coverage.setdefault(case.ruleset, {}).setdefault(rid, 0)
                coverage[case.ruleset][rid] += 1
        results.append(r)
    return Report(results, coverage, list(errors or []))


def format_report(report: Report, coverage: bool = False, verbose: bool = True) -> str:
    """Human-readable pass/fail per case, a summary and (optionally) rule coverage."""
    lines: list[str] = [str(e) for e in report.errors]
    for r in report.results:
        if verbose or not r.passed:
            lines.append(f"{'PASS' if r.passed else 'FAIL'}  {r.case.id}  ({r.case.file}:{r.case.line})")
        for p in r.problems:
            lines.append(f"      {p}")
    passed = sum(r.passed for r in report.results)
    failed = len(report.results) - passed
    if coverage:
        lines.append("")
        lines.append("Rule coverage:")
        for rs, rules in sorted(report.coverage.items()):
            hit = sum(1 for n in rules.values() if n)
            lines.append(f"  {rs}: {hit}/{len(rules)} rules fired by a fixture")
            for rid, n in rules.items():
                lines.append(f"    {'  ' if n else '!!'} {rid}: {n}")
        unc = report.uncovered
        if not report.coverage:
            lines.append("  (no ruleset exercised)")
        elif unc:
            lines.append("Rules no fixture fires: " + "; ".join(f"{rs}: {', '.join(ids)}" for rs, ids in sorted(unc.items())))
        else:
            lines.append("Every rule is fired by at least one fixture.")
    lines.append(f"{passed} passed, {failed} failed" + (f", {len(report.errors)} fixture file errors" if report.errors else ""))
    return "\n".join(lines)



_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(s) -> str:
    """Text XML 1.0 can hold: characters it forbids (control characters, lone surrogates) written as \\uXXXX."""
    return _XML_BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", str(s))


def junit_xml(report: Report, coverage=None, min_percent: float | None = None) -> str:
    """The fixture run as JUnit XML (the format CI systems read), as text.

    One ``<testsuite>`` per ruleset with one ``<testcase>`` per fixture case
    (classname ``fixtures.<ruleset>``, name the case's name, ``file`` and
    ``line`` attributes); a failing case has a ``<failure>`` whose message is
    its first problem and whose text lists them all. Fixture-file errors are
    ``<error>`` test cases of a suite ``fixture files``. With ``coverage``
    (:class:`engine.coverage.Coverage`) and ``min_percent``, a suite ``value
    coverage`` holds one test case per ruleset, failing below the minimum with
    the targets no fixture exercised. Written with the standard library's
    xml.etree (escaping done by it; characters XML cannot hold are shown as
    \\uXXXX), so the format costs no dependency.
    """
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="ocms rules test")
    suites: dict[str, ET.Element] = {}

    def suite(name: str) -> ET.Element:
        if name not in suites:
            suites[name] = ET.SubElement(root, "testsuite", name=_xml_text(name))
        return suites[name]

    for r in report.results:
        c = r.case
        tc = ET.SubElement(suite(c.ruleset), "testcase", classname=_xml_text(f"fixtures.{c.ruleset}"),
                           name=_xml_text(c.name), file=_xml_text(c.file), line=str(c.line))
        if r.problems:
            f = ET.SubElement(tc, "failure", message=_xml_text(r.problems[0]), type="fixture")
            f.text = _xml_text("\n".join(r.problems) + f"\n({c.file}:{c.line})")
    for e in report.errors:
        tc = ET.SubElement(suite("fixture files"), "testcase", classname="fixtures", name=_xml_text(f"{e.file}:{e.line}"),
                           file=_xml_text(e.file), line=str(e.line))
        err = ET.SubElement(tc, "error", message=_xml_text(e.message), type=_xml_text(e.code))
        err.text = _xml_text(str(e))
    if coverage is not None and min_percent is not None:
        s = suite("value coverage")
        for name, rc in sorted(coverage.rulesets.items()):
            tc = ET.SubElement(s, "testcase", classname="coverage", name=_xml_text(f"{name} >= {min_percent:g}%"),
                               file=_xml_text(rc.file))
            if rc.percent + 1e-9 < min_percent:
                f = ET.SubElement(tc, "failure", type="coverage",
                                  message=_xml_text(f"{name}: {rc.percent:.1f}% of {rc.total} targets exercised, "
                                                    f"below {min_percent:g}%"))
                f.text = _xml_text("\n".join(f"{t.rule}: {t.text} ({rc.file}:{t.line})" for t in rc.missing()))
    total = failures = errors = 0
    for s in suites.values():
        cases = s.findall("testcase")
        nf = sum(1 for tc in cases if tc.find("failure") is not None)
        ne = sum(1 for tc in cases if tc.find("error") is not None)
        s.set("tests", str(len(cases)))
        s.set("failures", str(nf))
        s.set("errors", str(ne))
        s.set("skipped", "0")
        total, failures, errors = total + len(cases), failures + nf, errors + ne
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
