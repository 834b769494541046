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


# ---- ocms rules test PATH (issue 9 item 7): root, one ruleset's folder, one file; nothing found fails ----
def test_replay_takes_one_rulesets_folder(registry):
    from engine import replay
    report = replay(registry, FIXTURES / "an_qualification")
    assert report.ok and len(report.results) > 10
    assert {r.case.ruleset for r in report.results} == {"an_qualification"}
    assert set(report.coverage) == {"an_qualification"} and report.uncovered == {}


def test_replay_takes_one_fixture_file(registry):
    from engine import replay
    path = FIXTURES / "an_qualification" / "gates_and_exemptions.yaml"
    report = replay(registry, path)
    assert report.ok and report.results and all(r.case.file == str(path) for r in report.results)
    assert set(report.coverage) == {"an_qualification"}


def test_replay_of_the_root_covers_every_ruleset(registry):
    from engine import replay
    report = replay(registry, FIXTURES)
    assert report.ok and set(report.coverage) == set(registry.names())


def test_a_run_that_finds_no_case_fails_saying_where_it_looked(registry, tmp_path):
    from engine import format_report, replay
    for path, words in ((tmp_path, f"looked in {tmp_path}/*.yaml and {tmp_path}/<ruleset>/*.yaml"),
                        (tmp_path / "nope", "no such file or folder"),
                        (FIXTURES / "scenarios", "API scenarios")):
        report = replay(registry, path)
        assert not report.ok and [e.code for e in report.errors] == ["no_cases"]
        assert words in report.errors[0].message
        assert "0 passed, 0 failed" in format_report(report)


def test_ocms_rules_test_on_a_ruleset_folder_and_on_nothing(tmp_path):
    import subprocess
    import sys

    from .conftest import ROOT
    ok = subprocess.run([sys.executable, "-m", "api.cli", "rules", "test", "--quiet", "fixtures/an_qualification"],
                        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert " passed, 0 failed" in ok.stdout and not ok.stdout.startswith("0 passed")
    empty = subprocess.run([sys.executable, "-m", "api.cli", "rules", "test", str(tmp_path)],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert empty.returncode == 1 and "no fixture case found" in empty.stdout
