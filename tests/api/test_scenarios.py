"""Replay every API scenario under fixtures/scenarios/ against the app on the test database."""
import pytest

from api.config import SYSTEMS
from api.scenarios import load_scenarios, match, run_scenario

from ..conftest import FIXTURES_DIR

SCENARIOS, LOAD_ERRORS = load_scenarios(FIXTURES_DIR / "scenarios")


@pytest.fixture
def scenario_app(make_app):
    return make_app(OCMS_API_KEYS={s: f"{s}-scenario-key" for s in SYSTEMS})


def test_scenario_files_load_cleanly():
    assert LOAD_ERRORS == []
    assert SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario_app, scenario):
    result = run_scenario(scenario_app, scenario)
    assert result.passed, "\n".join(result.problems)


def test_a_wrong_expectation_is_reported(scenario_app):
    sc = next(s for s in SCENARIOS if s.request["path"] == "/health/ready")
    wrong = type(sc)(sc.name, sc.file, sc.line, {}, sc.request, {"status": 503, "json": {"status": "DOWN"}})
    problems = run_scenario(scenario_app, wrong).problems
    assert any(p.startswith("status:") for p in problems) and any("json.status" in p for p in problems)


def test_match_is_a_subset_check():
    assert match({"a": 1}, {"a": 1, "b": 2}, "x") == []
    assert match({"a": [1, 2]}, {"a": [1]}, "x")
    assert match({"d": "2024-01-15"}, {"d": "2024-01-15T00:00:00"}, "x") == []
    assert match({"n": 300.0}, {"n": 300}, "x") == []
    assert match({"n": "Y"}, {"n": "N"}, "x") == ["x.n: expected 'Y', got 'N'"]


def test_given_rows_may_name_different_columns(scenario_app):
    from api.scenarios import Scenario
    given = {"ocms_parameter": [
        {"parameter_id": "X", "code": "A", "value": "1"},
        {"parameter_id": "X", "code": "B", "value": "2", "description": "only this row names it"},
    ]}
    sc = Scenario("mixed columns", "inline.yaml", 1, given, {"method": "GET", "path": "/health/live"},
                  {"status": 200, "rows": {"ocms_parameter": [{"code": "B", "description": "only this row names it"}]}})
    assert run_scenario(scenario_app, sc).problems == []


def test_a_scenario_file_yaml_cannot_read_gets_the_plain_words_of_rules_files(tmp_path):
    (tmp_path / "broken.yaml").write_text("- name: one\n  when:\n    method: GET\n   path: /x\n")
    scenarios, errors = load_scenarios(tmp_path)
    (e,) = errors
    assert scenarios == [] and (e.line, e.code) == (4, "yaml_indentation")
    assert "indented differently from the lines above it" in e.message and e.excerpt == "   path: /x"
