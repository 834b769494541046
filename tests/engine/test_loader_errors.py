"""Every kind of broken rules file gives a located error with its code and a useful message."""
import shutil

import pytest

from api.decisions.vocabulary import VOCABULARY
from engine import RuleRegistry, RulesLoadError, check_directory

from .conftest import TESTDATA

# file -> [(line, column, code, words the message must contain), ...]  (all errors, in order)
EXPECTED = {
    "yaml_syntax.bad.yaml": [(4, 9, "yaml_unclosed_bracket", "line 4: the '{' opened here is not closed")],
    "unknown_key.bad.yaml": [(7, 5, "unknown_key", "unknown key 'wen' in a rule")],
    "undeclared_fact.bad.yaml": [(7, 12, "undeclared_fact", "'knd', which is not a declared fact")],
    "bad_operator_for_type.bad.yaml": [(7, 19, "bad_operator_for_type", "operator 'gt' does not apply to 'kind', a string")],
    "unknown_list.bad.yaml": [(9, 22, "unknown_list", "list 'catz', which is not defined")],
    "duplicate_rule_id.bad.yaml": [(9, 5, "duplicate_rule_id", "rule id 'R-1' is used twice")],
    "unknown_action.bad.yaml": [(11, 11, "unknown_action", "unknown action 'suspnd'")],
    "unknown_normaliser.bad.yaml": [
        (4, 36, "unknown_normaliser", "unknown normaliser 'vehicle_number' on fact 'plate'"),
        (5, 37, "bad_value", "normalise applies to string facts; fact 'count' is integer"),
        (6, 51, "bad_value", "enum value 'e' of fact 'kind' is not in normal form: code makes it 'E'"),
    ],
    "bad_action_argument.bad.yaml": [(11, 20, "bad_action_argument", "must be one of ['TS', 'PS'], got 'XX'")],
    "unreachable_rule.bad.yaml": [(8, 5, "unreachable_rule", "rule 'R-2' can never fire")],
    "enum_value.bad.yaml": [(7, 18, "enum_value", "'X' is not a value of 'kind'")],
    "bad_value_type.bad.yaml": [(7, 18, "bad_value_type", "'code' is an integer; 'twenty' is not")],
    "missing_key.bad.yaml": [(1, 1, "missing_key", "no 'version'"), (1, 1, "missing_key", "no 'default'")],
    "not_matches.bad.yaml": [(7, 24, "unsupported_condition", "'not' cannot wrap 'matches'")],
    "regex_dialect.bad.yaml": [(7, 27, "bad_regex", "uses a backslash escape"), (10, 27, "bad_regex", "uses the anchor '^'")],
    "duplicate_key.bad.yaml": [(8, 5, "duplicate_key", "key 'when' appears twice")],
    # issue 9: a rules file means what the analyst wrote
    "yaml_alias.bad.yaml": [(6, 6, "yaml_alias", "anchor &a refused")],
    "yaml_recursive_anchor.bad.yaml": [(8, 11, "yaml_alias", "anchor &loop refused")],
    "yaml_merge_key.bad.yaml": [(8, 12, "yaml_alias", "merge key << refused"), (8, 16, "bad_name", "'<<'")],
    "yaml_tag.bad.yaml": [(7, 18, "yaml_tag", "explicit tag")],
    "too_deep.bad.yaml": [(7, 228, "too_deep", "nesting deeper than 40 levels")],
    "ambiguous_number.bad.yaml": [
        (8, 25, "ambiguous_number", "010 reads as a number"), (8, 30, "ambiguous_number", "020"),
        (8, 35, "ambiguous_number", "08"), (11, 18, "ambiguous_number", "0x1F"), (12, 33, "ambiguous_number", "8:30"),
        (12, 46, "ambiguous_number", "1_000"),
    ],
    "code_not_text.bad.yaml": [
        (4, 35, "bad_value_type", "enum value '30' of fact 'label' is not a string"),
        (8, 19, "bad_value_type", "'label' is a string; '30' is not"),
        (9, 31, "bad_value", "code must be text; '4000' is not"),
        (11, 19, "bad_value_type", "'label' is a string; '2026-01-15' is not"),
        (12, 34, "bad_value", "message must be text"),
        (14, 18, "bad_value_type", "'seen' is a date; '2026-01-15T08:00:00' is not"),
    ],
    "not_finite.bad.yaml": [(7, 25, "not_finite", ".inf is not a finite number"), (8, 32, "not_finite", ".nan")],
    "duplicate_action_argument.bad.yaml": [(11, 74, "duplicate_key", "key 'an_flag' appears twice")],
    "many_errors.bad.yaml": [
        (4, 16, "bad_type", "unknown type 'strng'"),
        (8, 28, "bad_value", "low value is above the high one"),
        (11, 12, "undeclared_fact", "'cde'"),
        (14, 19, "bad_operator_for_type", "'matches' does not apply to 'code'"),
    ],
}


def _errors_for(tmp_path, name):
    d = tmp_path / "rules"
    d.mkdir()
    shutil.copy(TESTDATA / name, d / "sample.yaml")
    return check_directory(d, VOCABULARY)


def test_every_bad_file_is_listed():
    assert sorted(p.name for p in TESTDATA.glob("*.bad.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_reports_every_error_located(tmp_path, name):
    errors = _errors_for(tmp_path, name)
    got = [(e.line, e.column, e.code) for e in errors]
    assert got == [(line, col, code) for line, col, code, _ in EXPECTED[name]], [str(e) for e in errors]
    for e, (_, _, _, words) in zip(errors, EXPECTED[name]):
        assert words in e.message
        assert str(e).startswith(f"{e.file}:{e.line}:{e.column}: ")
        assert e.file.endswith("sample.yaml")


def test_errors_carry_hints_for_typos(tmp_path):
    (e,) = _errors_for(tmp_path, "undeclared_fact.bad.yaml")
    assert "did you mean 'kind'" in e.hint
    assert e.rule == "R-1" and e.ruleset == "sample"


def test_good_file_has_no_errors(tmp_path):
    assert _errors_for(tmp_path, "base.good.yaml") == []


def test_duplicate_ruleset_name_across_files(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    shutil.copy(TESTDATA / "base.good.yaml", d / "a.yaml")
    shutil.copy(TESTDATA / "base.good.yaml", d / "b.yaml")
    errors = check_directory(d, VOCABULARY)
    assert [e.code for e in errors] == ["duplicate_ruleset"]
    assert "also defined in" in errors[0].message


def test_project_rules_are_valid():
    from .conftest import RULES
    assert check_directory(RULES, VOCABULARY) == []


def test_registry_refuses_a_bad_directory(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    shutil.copy(TESTDATA / "many_errors.bad.yaml", d / "x.yaml")
    with pytest.raises(RulesLoadError) as exc:
        RuleRegistry(d, VOCABULARY)
    assert len(exc.value.errors) == 4


def test_codes_like_no_and_yes_stay_text(tmp_path):
    from engine import RuleRegistry
    d = tmp_path / "rules"
    d.mkdir()
    (d / "flags.yaml").write_text(
        "ruleset: flags\nversion: 1.0.0\nfacts:\n  country: {type: string, enum: [NO, SG, Y, N]}\n"
        "  urgent: {type: boolean}\nrules:\n  - id: R-1\n    when: {country: NO, urgent: true}\n"
        "    then: {outcome: NO, flag: Y}\ndefault: {outcome: YES}\n")
    r = RuleRegistry(d, VOCABULARY)
    yes = r.evaluate("flags", {"country": "NO", "urgent": True})
    assert (yes.outcome, yes.outputs) == ("NO", {"flag": "Y"})
    assert r.evaluate("flags", {"country": "SG", "urgent": True}).outcome == "YES"
    r.close()


def test_yes_is_not_a_boolean(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "flags.yaml").write_text(
        "ruleset: flags\nversion: 1.0.0\nfacts:\n  urgent: {type: boolean}\nrules:\n"
        "  - id: R-1\n    when: {urgent: yes}\n    then: {outcome: A}\ndefault: {outcome: B}\n")
    (e,) = check_directory(d, VOCABULARY)
    assert e.code == "bad_value_type" and "write true or false" in e.hint


@pytest.mark.parametrize("name,index,words", [
    ("ambiguous_number.bad.yaml", 0, "quote codes such as '010' (write '010')"),
    ("code_not_text.bad.yaml", 1, "quote codes such as '010': write '30'"),
    ("code_not_text.bad.yaml", 2, "write code: '4000'"),
])
def test_codes_written_as_numbers_get_the_quote_hint(tmp_path, name, index, words):
    assert words in _errors_for(tmp_path, name)[index].hint


@pytest.mark.parametrize("depth", [5, 9])
def test_billion_laughs_is_refused_at_once(tmp_path, depth):
    # each level: a list of nine aliases of the level below (9**depth values once expanded)
    lines = ["ruleset: sample", "version: 1.0.0", "facts:", "  code: {type: integer}", "lists:", "  l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, depth + 1):
        lines.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    lines += ["rules:", "  - id: R-1", f"    when: {{code: {{in: l{depth}}}}}", "    then: {outcome: NO}", "default: {outcome: YES}"]
    d = tmp_path / "rules"
    d.mkdir()
    (d / "laughs.yaml").write_text("\n".join(lines) + "\n")
    assert len((d / "laughs.yaml").read_bytes()) < 2048
    # refused at the first anchor, before anything is expanded (depth 5 used to take 43 s and 300 MB)
    errors = check_directory(d, VOCABULARY)
    assert [e.code for e in errors] == ["yaml_alias"]
    assert (errors[0].line, errors[0].column) == (6, 7)


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    from engine.loader import MAX_FILE_BYTES
    d = tmp_path / "rules"
    d.mkdir()
    (d / "big.yaml").write_text("ruleset: big\n# " + "x" * MAX_FILE_BYTES + "\n")
    (e,) = check_directory(d, VOCABULARY)
    assert e.code == "file_too_large"


def test_decimal_literals_are_exact_and_versions_are_the_text_written(tmp_path):
    from decimal import Decimal
    from engine import load_file
    p = tmp_path / "x.yaml"
    p.write_text("ruleset: x\nversion: 1.10\nfacts:\n  amount: {type: decimal}\nrules:\n  - id: R-1\n"
                 "    when: {amount: 80.0000000000000001}\n    then: {outcome: A, fee: 10.50}\ndefault: {outcome: B}\n")
    rs, errors = load_file(p, VOCABULARY)
    assert errors == []
    assert rs.version == "1.10"
    assert rs.rules[0].when.value == Decimal("80.0000000000000001")
    assert rs.rules[0].then.outputs == {"fee": 10.5} and type(rs.rules[0].then.outputs["fee"]) is float


def test_required_must_be_true_or_false(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "x.yaml").write_text("ruleset: x\nversion: 1.0.0\nfacts:\n  a: {type: string, required: no}\n"
                              "rules:\n  - id: R-1\n    when: {a: X}\n    then: {outcome: A}\ndefault: {outcome: B}\n")
    (e,) = check_directory(d, VOCABULARY)
    assert (e.line, e.code) == (4, "bad_value") and "true or false" in e.message


def test_datetime_literals_with_an_offset_are_business_time(tmp_path):
    import datetime as dt
    from engine import load_file
    p = tmp_path / "x.yaml"
    p.write_text("ruleset: x\nversion: 1.0.0\nfacts:\n  at: {type: datetime}\nrules:\n  - id: R-1\n"
                 "    when: {at: {gte: 2026-01-15T00:30:00Z}}\n    then: {outcome: A}\ndefault: {outcome: B}\n")
    rs, errors = load_file(p, VOCABULARY)
    assert errors == [] and rs.rules[0].when.value == dt.datetime(2026, 1, 15, 8, 30)
    rs, errors = load_file(p, VOCABULARY, timezone="UTC")
    assert rs.rules[0].when.value == dt.datetime(2026, 1, 15, 0, 30)
