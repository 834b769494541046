"""Replay every fact fixture through the engine (explain on: also a differential check)."""
import pytest

from engine import load_fixtures, run_fixtures
from engine.fixtures import run_case

from .conftest import FIXTURES

CASES, LOAD_ERRORS = load_fixtures(FIXTURES)


def test_fixture_files_load_cleanly():
    assert LOAD_ERRORS == []
    assert len(CASES) > 50


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_case(registry, case):
    result = run_case(registry, case)
    assert result.passed, "\n".join(result.problems)


def test_every_rule_is_fired_by_a_fixture(registry):
    report = run_fixtures(registry, CASES)
    assert report.ok
    assert report.uncovered == {}, f"rules no fixture fires: {report.uncovered}"
    assert set(report.coverage) == set(registry.names())


def test_a_wrong_expectation_fails(registry):
    case = CASES[0]
    wrong = type(case)(case.ruleset, case.name, case.facts, {"outcome": "SURELY_NOT"}, case.file, case.line)
    result = run_case(registry, wrong)
    assert not result.passed and "outcome" in result.problems[0]
