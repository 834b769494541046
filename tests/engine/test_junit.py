"""JUnit XML of a fixture run (issue 15): one test case per fixture case, failures with their messages."""
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import RulesError, junit_xml, load_fixtures, run_fixtures
from engine.fixtures import Case, CaseResult, Report

from .conftest import FIXTURES


def _report(names_and_problems, errors=()):
    results = [CaseResult(Case("rs", name, {}, {}, "fixtures/rs/x.yaml", i + 1), list(problems))
               for i, (name, problems) in enumerate(names_and_problems)]
    return Report(results, {}, list(errors))


def test_one_testcase_per_fixture_case_with_failures_and_file_errors():
    err = RulesError("fixtures/rs/bad.yaml", 3, 1, "unknown_key", "case 'x': unknown keys ['expct']")
    root = ET.fromstring(junit_xml(_report([("passes", []), ("fails", ["outcome: expected 'A', got 'B'", "fired: x"])],
                                           [err])))
    assert root.tag == "testsuites" and root.get("tests") == "3"
    assert root.get("failures") == "1" and root.get("errors") == "1"
    cases = root.findall("./testsuite[@name='rs']/testcase")
    assert [c.get("name") for c in cases] == ["passes", "fails"]
    assert cases[0].find("failure") is None
    f = cases[1].find("failure")
    assert f.get("message") == "outcome: expected 'A', got 'B'" and "fired: x" in f.text
    assert cases[1].get("classname") == "fixtures.rs" and cases[1].get("file") == "fixtures/rs/x.yaml"
    assert cases[1].get("line") == "2"
    e = root.find("./testsuite[@name='fixture files']/testcase/error")
    assert e.get("type") == "unknown_key" and "expct" in e.get("message")


def test_the_repository_fixtures_as_junit(registry):
    from engine.coverage import measure
    cases, errors = load_fixtures(FIXTURES)
    report = run_fixtures(registry, cases, errors)
    root = ET.fromstring(junit_xml(report, measure(registry, report), 100))
    fixture_cases = [c for s in root.findall("testsuite") if s.get("name") != "value coverage"
                     for c in s.findall("testcase")]
    assert len(fixture_cases) == len(cases) and root.get("failures") == "0"
    cov = root.findall("./testsuite[@name='value coverage']/testcase")
    assert len(cov) == len(registry.names()) and all(c.find("failure") is None for c in cov)


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=40), problem=st.text(max_size=60))
def test_any_case_name_or_message_gives_well_formed_xml(name, problem):
    """Control characters, lone surrogates, quotes, markup: the document always parses."""
    root = ET.fromstring(junit_xml(_report([(name, [problem] if problem else [])])))
    tc = root.find("./testsuite/testcase")
    assert tc is not None and root.get("tests") == "1"
    assert (tc.find("failure") is not None) == bool(problem)
    printable = all(c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") for c in name)
    if printable and "\r" not in name:
        assert tc.get("name") == name  # what XML can hold comes back as it was
