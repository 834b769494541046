"""Decision tables checked statically (issue 15): gaps, overlaps, subsumed rows, hit policy unique.

The checker (engine/tables.py) is compared with a brute-force enumeration of
every input combination over generated tables; the loader turns its findings
into located errors and warnings; `ocms rules check` prints them.
"""
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.decisions.vocabulary import VOCABULARY
from engine import RuleRegistry, check_directory, load_file
from engine.model import TRUE, And, Leaf, Or
from engine.explain import holds
from engine.tables import Column, Row, brute_force, check_table

from .conftest import ROOT, RULES, TESTDATA

TABLES = TESTDATA / "tables"


def _load(name):
    warnings = []
    rs, errors = load_file(TABLES / name, VOCABULARY, display=name, warnings=warnings)
    return rs, errors, warnings


# ---- the loader's findings ---------------------------------------------------------------
def test_a_gap_an_overlap_and_a_subsumed_row_give_three_located_findings():
    rs, errors, warnings = _load("three_findings.yaml")
    found = sorted(errors + warnings, key=lambda e: e.line)
    assert [(e.line, e.column, e.code, e.severity) for e in found] == [
        (14, 3, "table_gap", "warning"),
        (17, 7, "table_overlap", "warning"),
        (21, 7, "subsumed_row", "error"),
    ], [str(e) for e in found]
    gap, overlap, subsumed = found
    assert "no row covers vehicle_class=VAN, stage=RD2|RR3" in gap.message
    assert "FEE-CAR (line 15) and FEE-EARLY both match vehicle_class=CAR, stage=RD1" in overlap.message
    assert overlap.rule == "FEE-EARLY" and "FEE-CAR wins" in overlap.hint
    assert "FEE-CAR-RD2 can never fire" in subsumed.message and "FEE-CAR (line 15)" in subsumed.message
    assert rs is None  # the subsumed row is an error: the file is refused
    for e in found:
        assert str(e).startswith(f"three_findings.yaml:{e.line}:{e.column}: ")
    assert "warning: " in str(gap) and "warning: " not in str(subsumed)


def test_unique_hit_policy_makes_an_overlap_a_load_error():
    rs, errors, warnings = _load("unique_overlap.yaml")
    assert rs is None and warnings == []
    (e,) = errors
    assert (e.line, e.code, e.severity) == (13, "table_overlap", "error")
    assert "FEE-1 (line 12) and FEE-2 both match vehicle_class=CAR, urgent=true" in e.message
    assert "hit policy unique" in e.hint


def test_the_same_table_under_first_is_only_a_warning(tmp_path):
    text = (TABLES / "unique_overlap.yaml").read_text().replace("  hit_policy: unique\n", "")
    (tmp_path / "t.yaml").write_text(text)
    warnings = []
    rs, errors = load_file(tmp_path / "t.yaml", VOCABULARY, warnings=warnings)
    assert errors == [] and rs is not None
    assert [(w.code, w.severity) for w in warnings] == [("table_overlap", "warning")]
    assert rs.warnings == warnings


def test_numeric_columns_are_split_at_the_values_the_cells_name():
    """{lt: 3} and {gt: 3} leave 3 uncovered; complete: true makes the gap an error."""
    rs, errors, _ = _load("numeric_gap.yaml")
    (e,) = errors
    assert (e.code, e.severity, e.line) == ("table_gap", "error", 11)
    assert "past_offences=3" in e.message
    assert "amount=absent" in e.message  # an optional fact may be absent: no row says what then


def test_a_value_outside_the_declared_domain_is_its_own_error_and_nothing_else():
    rs, errors, warnings = _load("domain_typo.yaml")
    assert [(e.line, e.code) for e in errors] == [(14, "not_in_domain")] and warnings == []
    assert "'RR4' is not in the domain of 'stage'" in errors[0].message
    assert "did you mean 'RR3'" in errors[0].hint


def test_complete_false_turns_the_gap_check_off(tmp_path):
    text = (TABLES / "three_findings.yaml").read_text().replace("  domains:", "  complete: false\n  domains:")
    (tmp_path / "t.yaml").write_text(text)
    warnings = []
    _, errors = load_file(tmp_path / "t.yaml", VOCABULARY, warnings=warnings)
    assert "table_gap" not in [w.code for w in warnings + errors]
    assert [w.code for w in warnings] == ["table_overlap"]


def test_a_narrow_row_before_a_wide_one_is_an_exception_not_an_overlap():
    """Under hit policy first, the usual "specific rows, then a catch-all" is not a finding."""
    cols = [Column("a", "string", domain=("X", "Y"))]
    rows = [Row("r1", (Leaf("a", "eq", "X"),), "A"), Row("r2", (TRUE,), "B")]
    assert check_table(cols, rows, "first").findings == []
    assert [f.kind for f in check_table(cols, rows, "unique").findings] == ["overlap"]


def test_patterns_are_not_analysed():
    cols = [Column("v", "string")]
    rows = [Row("r1", (Leaf("v", "mt", "MID.*"),), "A")]
    result = check_table(cols, rows)
    assert result.findings == [] and "pattern" in result.skipped


def test_table_hit_policy_is_checked(tmp_path):
    text = (TABLES / "unique_overlap.yaml").read_text().replace("hit_policy: unique", "hit_policy: uniqe")
    (tmp_path / "t.yaml").write_text(text)
    _, errors = load_file(tmp_path / "t.yaml", VOCABULARY)
    assert errors[0].code == "bad_value" and "did you mean 'unique'" in errors[0].hint


def test_project_tables_have_no_findings_and_plus_is_a_unique_table():
    warnings = []
    assert check_directory(RULES, VOCABULARY, warnings=warnings) == []
    assert warnings == [], [str(w) for w in warnings]
    text = (RULES / "plus_notice_update.yaml").read_text()
    assert "hit_policy: unique" in text and "table:" in text


def test_plus_notice_update_as_a_table_decides_as_before():
    r = RuleRegistry(RULES, VOCABULARY)
    try:
        cases = [({"notice_found": False, "crs_reason_of_suspension": "FP"}, "NOT_FOUND", ["PLUS-NOTFOUND-4004"]),
                 ({"notice_found": True, "crs_reason_of_suspension": "PRA"}, "ALREADY_PAID", ["PLUS-PAID-4003"]),
                 ({"notice_found": True}, "OK", ["PLUS-UPDATE-2000"]),
                 ({"notice_found": True, "crs_reason_of_suspension": "APP"}, "ALREADY_PAID", [])]
        for facts, outcome, fired in cases:
            d = r.evaluate("plus_notice_update", facts)
            assert (d.outcome, list(d.fired)) == (outcome, fired), facts
        ok = r.evaluate("plus_notice_update", {"notice_found": True})
        assert [(a.name, a.params) for a in ok.actions] == [("set_notice_fields", {"payment_acceptance_allowed": "Y"})]
    finally:
        r.close()


# ---- the checker against brute force -----------------------------------------------------
DOMAIN = ("A", "B", "C")


@st.composite
def tables(draw):
    ncols = draw(st.integers(1, 3))
    columns = []
    for j in range(ncols):
        size = draw(st.integers(1, 3))
        columns.append(Column(f"c{j}", "string", optional=draw(st.booleans()), domain=DOMAIN[:size]))
    rows = []
    for i in range(draw(st.integers(1, 6))):
        cells = []
        for col in columns:
            kind = draw(st.sampled_from(["any", "eq", "in", "not_in", "absent", "present", "empty"]))
            values = draw(st.lists(st.sampled_from(col.domain + ("Z",)), min_size=1, max_size=3, unique=True))
            if kind == "any":
                cells.append(TRUE)
            elif kind == "eq":
                cells.append(Leaf(col.name, "eq", values[0]))
            elif kind == "in":
                cells.append(Or(tuple(Leaf(col.name, "eq", v) for v in values)) if len(values) > 1
                             else Leaf(col.name, "eq", values[0]))
            elif kind == "not_in":
                cells.append(And(tuple(Leaf(col.name, "neq", v) for v in values)) if len(values) > 1
                             else Leaf(col.name, "neq", values[0]))
            elif kind == "absent":
                cells.append(Leaf(col.name, "null"))
            elif kind == "present":
                cells.append(Leaf(col.name, "notnull"))
            else:  # a contradiction: never matches
                cells.append(And((Leaf(col.name, "eq", values[0]), Leaf(col.name, "neq", values[0]))))
        rows.append(Row(f"R{i}", tuple(cells), draw(st.sampled_from(["X", "Y"]))))
    return columns, rows


def _domain_values(col):
    return list(col.domain) + ([None] if col.optional else [])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(["first", "unique"]))
def test_checker_agrees_with_brute_force(table, hit):
    columns, rows = table
    truth = brute_force(columns, rows, [_domain_values(c) for c in columns])
    result = check_table(columns, rows, hit)
    assert result.skipped == ""
    # gaps: exactly the combinations no row matches
    assert result.uncovered() == set(truth["gaps"])
    assert any(f.kind == "gap" for f in result.findings) == bool(truth["gaps"])
    # subsumed (or never matching) rows: exactly those whose inputs earlier rows already take
    flagged = {f.rows[0] for f in result.findings if f.kind in ("subsumed", "never_matches")}
    assert flagged == truth["subsumed"]
    # overlaps: pairs of live rows matching a common input with different outcomes
    # (under first, minus an earlier row that lies inside the later one: an intended exception)
    match = truth["match"]
    expected = set()
    for j, i in truth["overlaps"]:
        if i in truth["subsumed"] or j in truth["subsumed"]:
            continue
        if hit == "first" and all(match[i][k] for k, m in enumerate(match[j]) if m):
            continue
        expected.add((j, i))
    assert {f.rows for f in result.findings if f.kind == "overlap"} == expected
    # every example a finding gives really is such an input
    for f in result.findings:
        if f.kind == "overlap":
            j, i = f.rows
            ex = f.examples[0]
            combo = tuple(_first(ex[c.name], c) for c in columns)
            k = truth["combos"].index(combo)
            assert match[j][k] and match[i][k]


@st.composite
def numeric_tables(draw):
    """One or two integer columns without a declared domain: split at the thresholds the cells name."""
    ncols = draw(st.integers(1, 2))
    columns = [Column(f"n{j}", "integer", optional=draw(st.booleans())) for j in range(ncols)]
    rows = []
    for i in range(draw(st.integers(1, 5))):
        cells = []
        for col in columns:
            op = draw(st.sampled_from(["any", "eq", "neq", "lt", "lte", "gt", "gte", "between", "absent"]))
            a, b = sorted(draw(st.lists(st.integers(0, 6), min_size=2, max_size=2)))
            cells.append(TRUE if op == "any" else Leaf(col.name, "null") if op == "absent"
                         else And((Leaf(col.name, "gte", a), Leaf(col.name, "lte", b))) if op == "between"
                         else Leaf(col.name, op, a))
        rows.append(Row(f"R{i}", tuple(cells), draw(st.sampled_from(["X", "Y"]))))
    return columns, rows


@settings(max_examples=200, deadline=None)
@given(numeric_tables(), st.sampled_from(["first", "unique"]))
def test_numeric_checker_agrees_with_brute_force_over_a_wide_range(table, hit):
    """Every integer from -3 to 10 (and absent) stands for the whole line: the classes are exact."""
    columns, rows = table
    values = [list(range(-3, 11)) + ([None] if c.optional else []) for c in columns]
    truth = brute_force(columns, rows, values)
    result = check_table(columns, rows, hit)
    assert any(f.kind == "gap" for f in result.findings) == bool(truth["gaps"])
    for combo in result.uncovered():  # every uncovered candidate really is uncovered
        assert not any(all(holds(r.cells[j], {c.name: combo[j]}) for j, c in enumerate(columns)) for r in rows)
    flagged = {f.rows[0] for f in result.findings if f.kind in ("subsumed", "never_matches")}
    assert flagged == truth["subsumed"]
    overlapping = {f.rows for f in result.findings if f.kind == "overlap"}
    assert overlapping <= truth["overlaps"]
    if hit == "unique":
        live = {(j, i) for j, i in truth["overlaps"] if i not in truth["subsumed"] and j not in truth["subsumed"]}
        assert overlapping == live


def _first(v, col):
    from engine.tables import ANY, Alike
    if v is ANY:
        return _domain_values(col)[0]
    return v[0] if isinstance(v, Alike) else v


# ---- typos give their own error, no follow-on ones ---------------------------------------
TYPOS = {
    # misspelt key of a rule: one error, no unreachable_rule for the rules after it
    "wen": ("    wen: {kind: E}\n", [("unknown_key", "did you mean 'when'?")]),
    "thn": ("    when: {kind: E}\n    thn: {outcome: NO}\n", [("unknown_key", "did you mean 'then'?")]),
    "operator": ("    when: {kind: {equal: E}}\n", [("unknown_operator", "did you mean 'equals'?")]),
    "no space": ("    when:{kind: E}\n", [("missing_space", "write 'when: {kind")]),
    "fact": ("    when: {knd: E}\n", [("undeclared_fact", "did you mean 'kind'?")]),
}


@pytest.mark.parametrize("name", sorted(TYPOS))
def test_a_typo_reports_its_own_error_and_nothing_else(tmp_path, name):
    first_rule, expected = TYPOS[name]
    body = first_rule if "then" in first_rule or "thn" in first_rule else first_rule + "    then: {outcome: NO}\n"
    text = ("ruleset: sample\nversion: 1.0.0\nfacts:\n  kind: {type: string}\nrules:\n  - id: R-1\n" + body
            + "".join(f"  - id: R-{n}\n    when: {{kind: K{n}}}\n    then: {{outcome: NO}}\n" for n in range(2, 6))
            + "default: {outcome: YES}\n")
    (tmp_path / "sample.yaml").write_text(text)
    errors = check_directory(tmp_path, VOCABULARY)
    assert [(e.code) for e in errors] == [c for c, _ in expected], [str(e) for e in errors]
    for e, (_, words) in zip(errors, expected):
        assert words in e.hint, str(e)
        assert e.line == (8 if name == "thn" else 7)


def test_a_misspelt_top_level_key_does_not_cascade(tmp_path):
    """`fact:` for `facts:` would otherwise make every condition an undeclared fact."""
    (tmp_path / "s.yaml").write_text(
        "ruleset: s\nversion: 1.0.0\nfact:\n  kind: {type: string}\nrules:\n"
        "  - id: R-1\n    when: {kind: E}\n    then: {outcome: NO}\ndefault: {outcome: YES}\n")
    (e,) = check_directory(tmp_path, VOCABULARY)
    assert (e.line, e.code) == (3, "unknown_key") and "did you mean 'facts'?" in e.hint


# ---- YAML syntax errors in plain words ------------------------------------------------------
HEAD = "ruleset: s\nversion: 1.0.0\nfacts:\n  kind: {type: string}\nrules:\n  - id: R-1\n"
YAML_ERRORS = {
    "indentation": (HEAD + "    when: {kind: E}\n   then: {outcome: NO}\n", 8, "yaml_indentation",
                    "line 8: this line is indented differently from the lines above it", "same column"),
    "item indentation": (HEAD + "    when: {kind: E}\n    then: {outcome: NO}\n  - id: R-2\n    when: {kind: F}\n"
                         "    then: {outcome: NO}\n  id: R-3\n", 12, "yaml_indentation",
                         "indented differently", "same column"),
    "tab": ("ruleset: s\nversion: 1.0.0\nfacts:\n\tkind: {type: string}\n", 4, "yaml_tab", "a tab character", "spaces"),
    "double quote": (HEAD + '    when: {kind: "E}\n    then: {outcome: NO}\n', 7, "yaml_unclosed_quote",
                     'the quote " opened here is never closed', 'closing "'),
    "single quote": (HEAD + "    when: {kind: 'E}\n    then: {outcome: NO}\n", 7, "yaml_unclosed_quote",
                     "never closed", "closing '"),
    "bracket": (HEAD + "    when: {kind: {in: [A, B}}\n    then: {outcome: NO}\n", 7, "yaml_unclosed_bracket",
                "the '[' opened at column 23 is still open", "add ']'"),
    "brace": ("ruleset: s\nversion: 1.0.0\nfacts:\n  kind: {type: string\nrules: []\n", 4, "yaml_unclosed_bracket",
              "the '{' opened here is not closed", "add '}'"),
    "colon in text": (HEAD + "    when: {kind: E}\n    then:\n      outcome: NO\n      message: Note: paid\n", 10,
                      "yaml_colon_in_text", "a second ': '", 'in quotes, e.g. message: "Note: paid"'),
    "missing colon": (HEAD + "    when\n    then: {outcome: NO}\n", 7, "yaml_missing_colon", "a key without ':'", "key: value"),
    "star": (HEAD + "    when: {kind: *}\n", 7, "yaml_syntax", "a value starting with '*'", 'quotes: "*"'),
}


@pytest.mark.parametrize("name", sorted(YAML_ERRORS))
def test_yaml_syntax_errors_are_explained(tmp_path, name):
    text, line, code, words, hint = YAML_ERRORS[name]
    (tmp_path / "s.yaml").write_text(text)
    (e,) = check_directory(tmp_path, VOCABULARY)
    assert (e.line, e.code) == (line, code), str(e)
    assert words in e.message and hint in e.hint, str(e)
    assert "expected <block end>" not in str(e) and "but found" not in str(e)
    assert e.excerpt == text.splitlines()[line - 1]  # the line is shown
    assert f"{line:>4} | {e.excerpt}" in str(e)


def test_a_duplicate_key_is_located_with_the_first_one(tmp_path):
    (tmp_path / "s.yaml").write_text(HEAD + "    when: {kind: E}\n    then: {outcome: NO}\n    then: {outcome: YES}\n"
                                     "default: {outcome: YES}\n")
    (e,) = check_directory(tmp_path, VOCABULARY)
    assert (e.line, e.code) == (9, "duplicate_key") and "first at line 8" in e.hint


# ---- the command ---------------------------------------------------------------------------
def test_ocms_rules_check_prints_the_three_findings(tmp_path):
    shutil.copy(TABLES / "three_findings.yaml", tmp_path / "fees.yaml")
    p = subprocess.run([sys.executable, "-m", "api.cli", "rules", "check", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 1, p.stdout + p.stderr
    path = tmp_path / "fees.yaml"
    assert f"{path}:14:3: warning: " in p.stdout and "[table_gap]" in p.stdout
    assert f"{path}:17:7: warning: " in p.stdout and "[table_overlap]" in p.stdout
    assert f"{path}:21:7: ruleset 'fees', rule 'FEE-CAR-RD2': row FEE-CAR-RD2 can never fire" in p.stdout
    assert "1 error(s), 2 warning(s)" in p.stderr


def test_ocms_rules_check_passes_with_warnings_only(tmp_path):
    text = (TABLES / "three_findings.yaml").read_text()
    text = text.replace("    - id: FEE-CAR-RD2\n      row: [CAR, RD2, LIGHT_LATE, 12]\n", "")
    (tmp_path / "fees.yaml").write_text(text)
    p = subprocess.run([sys.executable, "-m", "api.cli", "rules", "check", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("warning: ") == 2 and "OK: 1 rulesets (fees), 2 warning(s)" in p.stdout
