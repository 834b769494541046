"""Every kind of broken rules file gives a located error with its code and a useful message."""
import shutil

import pytest

from api.decisions.vocabulary import VOCABULARY
from engine import RuleRegistry, RulesLoadError, check_directory

from .conftest import TESTDATA

# file -> [(line, column, code, words the message must contain), ...]  (all errors, in order)
EXPECTED = {
    "yaml_syntax.bad.yaml": [(5, 6, "yaml_syntax", "YAML syntax error")],
    "unknown_key.bad.yaml": [(7, 5, "unknown_key", "unknown key 'wen' in a rule")],
    "undeclared_fact.bad.yaml": [(7, 12, "undeclared_fact", "'knd', which is not a declared fact")],
    "bad_operator_for_type.bad.yaml": [(7, 19, "bad_operator_for_type", "operator 'gt' does not apply to 'kind', a string")],
    "unknown_list.bad.yaml": [(9, 22, "unknown_list", "list 'catz', which is not defined")],
    "duplicate_rule_id.bad.yaml": [(9, 5, "duplicate_rule_id", "rule id 'R-1' is used twice")],
    "unknown_action.bad.yaml": [(11, 11, "unknown_action", "unknown action 'suspnd'")],
    "bad_action_argument.bad.yaml": [(11, 20, "bad_action_argument", "must be one of ['TS', 'PS'], got 'XX'")],
    "unreachable_rule.bad.yaml": [(8, 5, "unreachable_rule", "rule 'R-2' can never fire")],
    "enum_value.bad.yaml": [(7, 18, "enum_value", "'X' is not a value of 'kind'")],
    "bad_value_type.bad.yaml": [(7, 18, "bad_value_type", "'code' is an integer; 'twenty' is not")],
    "missing_key.bad.yaml": [(1, 1, "missing_key", "no 'version'"), (1, 1, "missing_key", "no 'default'")],
    "not_matches.bad.yaml": [(7, 24, "unsupported_condition", "'not' cannot wrap 'matches'")],
    "regex_dialect.bad.yaml": [(7, 27, "bad_regex", "uses a backslash escape"), (10, 27, "bad_regex", "uses the anchor '^'")],
    "duplicate_key.bad.yaml": [(8, 5, "duplicate_key", "key 'when' appears twice")],
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
