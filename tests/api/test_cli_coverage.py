"""``ocms rules test --coverage / --min-coverage / --junit-xml`` as real commands (issue 15)."""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AN_FIXTURES = ROOT / "fixtures" / "an_qualification"
AN_CASE = ("- name: {name}\n"
           "  facts: {{offence_notice_type: O, vehicle_registration_type: S, computer_rule_code: 11210,"
           " composition_amount: 70, vehicle_category: {cat}, past_offences_24m: 1}}\n"
           "  expect: {{outcome: {outcome}}}\n")


def ocms(*args, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("OCMS_")}
    e.update(env)
    return subprocess.run([sys.executable, "-m", "api.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=e)


@pytest.fixture
def rules_with_ev(tmp_path):
    """The issue's change: EV added to the 11210 exemption list, nothing else."""
    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    f = d / "an_qualification.yaml"
    text = f.read_text(encoding="utf-8")
    assert "exempt_categories_11210: [LB, HL]" in text
    f.write_text(text.replace("exempt_categories_11210: [LB, HL]", "exempt_categories_11210: [LB, HL, EV]"),
                 encoding="utf-8")
    return d


def test_the_repository_rules_reach_full_value_coverage_and_write_junit(tmp_path):
    out = tmp_path / "reports" / "rules.xml"
    p = ocms("rules", "test", "--quiet", "--min-coverage", "100", "--junit-xml", out)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Every ruleset reaches the minimum coverage 100%." in p.stdout
    assert "Value coverage: " in p.stdout and "(100.0%)" in p.stdout
    root = ET.parse(out).getroot()
    assert root.get("failures") == "0" and root.get("errors") == "0" and int(root.get("tests")) > 300


def test_a_value_added_to_a_list_without_a_fixture_fails_under_the_threshold(rules_with_ev, tmp_path):
    assert ocms("rules", "check", rules_with_ev).returncode == 0  # the change itself is valid
    p = ocms("rules", "test", "--rules", rules_with_ev, AN_FIXTURES, "--quiet", "--min-coverage", "100")
    assert p.returncode == 1, p.stdout
    assert "0 failed" in p.stdout  # every case still passes: only coverage shows it
    line = next(i for i, t in enumerate((rules_with_ev / "an_qualification.yaml").read_text().splitlines(), 1)
                if "vehicle_category: {in: exempt_categories_11210}" in t)
    assert (f"!! vehicle_category in exempt_categories_11210: EV: no fixture  "
            f"({rules_with_ev / 'an_qualification.yaml'}:{line})") in p.stdout
    assert "BELOW THE MINIMUM COVERAGE 100%: an_qualification" in p.stdout
    # --coverage alone reports it and does not fail the run
    p = ocms("rules", "test", "--rules", rules_with_ev, AN_FIXTURES, "--coverage", "--quiet")
    assert p.returncode == 0 and "EV: no fixture" in p.stdout
    # a fixture for EV closes it
    fx = tmp_path / "fixtures" / "an_qualification"
    shutil.copytree(AN_FIXTURES, fx)
    (fx / "ev.yaml").write_text(AN_CASE.format(name="EV in an 11210 offence is exempt", cat="EV",
                                               outcome="NOT_QUALIFIED"), encoding="utf-8")
    p = ocms("rules", "test", "--rules", rules_with_ev, fx, "--quiet", "--min-coverage", "100")
    assert p.returncode == 0, p.stdout
    assert "EV: no fixture" not in p.stdout


def test_junit_holds_one_testcase_per_case_and_the_failures(tmp_path):
    fx = tmp_path / "fixtures" / "an_qualification"
    fx.mkdir(parents=True)
    (fx / "cases.yaml").write_text(
        AN_CASE.format(name="LB is exempt", cat="LB", outcome="NOT_QUALIFIED")
        + AN_CASE.format(name="HL <qualifies> & more", cat="HL", outcome="QUALIFIED"), encoding="utf-8")
    out = tmp_path / "junit.xml"
    p = ocms("rules", "test", fx, "--min-coverage", "90", "--junit-xml", out)
    assert p.returncode == 1
    root = ET.parse(out).getroot()
    cases = root.findall("./testsuite[@name='an_qualification']/testcase")
    assert [c.get("name") for c in cases] == ["LB is exempt", "HL <qualifies> & more"]
    assert cases[0].find("failure") is None
    assert cases[1].find("failure").get("message") == "outcome: expected 'QUALIFIED', got 'NOT_QUALIFIED'"
    cov = root.find("./testsuite[@name='value coverage']/testcase")
    assert cov.get("name") == "an_qualification >= 90%"
    failure = cov.find("failure")
    assert "below 90%" in failure.get("message") and "BR-AN-GATE-001: offence_notice_type not O: E" in failure.text


@pytest.mark.parametrize("bad", ["abc", "101", "-1", "nan", ""])
def test_a_bad_threshold_is_a_usage_error(bad):
    p = ocms("rules", "test", AN_FIXTURES, "--min-coverage", bad)
    assert p.returncode == 2
    assert "--min-coverage" in p.stderr and "percentage" in p.stderr
