"""The ``ocms`` command line (in-process through ``runner``; one real subprocess)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sqlalchemy import select

from repository.models import BatchJobRun, Parameter

DATA = Path(__file__).parent / "data"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_rules_check_ok(runner):
    r = runner.invoke(["rules", "check"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("OK: ") and "rulesets" in r.output


def test_rules_check_broken_file_prints_located_errors_and_exits_1(runner, tmp_path):
    shutil.copy(DATA / "broken_ruleset.bad.yaml", tmp_path / "broken_example.yaml")
    r = runner.invoke(["rules", "check", tmp_path])
    assert r.exit_code == 1
    path = str(tmp_path / "broken_example.yaml")
    assert f"{path}:10:" in r.output and f"{path}:13:" in r.output
    assert "[undeclared_fact]" in r.output and "[unknown_operator]" in r.output
    assert "hint:" in r.output


def test_rules_check_as_a_real_command(tmp_path):
    """The console script itself (``python -m api.cli``), exit status and file:line:col."""
    shutil.copy(DATA / "broken_ruleset.bad.yaml", tmp_path / "broken_example.yaml")
    p = subprocess.run([sys.executable, "-m", "api.cli", "rules", "check", str(tmp_path)],
                       capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert p.returncode == 1
    assert f"{tmp_path / 'broken_example.yaml'}:10:12:" in p.stdout


def test_rules_test_passes_with_coverage(runner):
    r = runner.invoke(["rules", "test", "--coverage"])
    assert r.exit_code == 0, r.output
    assert "0 failed" in r.output and "Rule coverage" in r.output


def test_rules_test_fails_on_a_wrong_expectation(runner, tmp_path):
    d = tmp_path / "fixtures" / "an_qualification"
    d.mkdir(parents=True)
    (d / "wrong.yaml").write_text(
        "- name: wrong expectation\n"
        "  facts: {offence_notice_type: E, vehicle_registration_type: S, computer_rule_code: 1,"
        " composition_amount: 10, past_offences_24m: 0}\n"
        "  expect: {outcome: QUALIFIED}\n")
    r = runner.invoke(["rules", "test", tmp_path / "fixtures"])
    assert r.exit_code == 1
    assert "FAIL" in r.output and "1 failed" in r.output


def test_rules_explain_prints_decision_with_trace(runner):
    r = runner.invoke(["rules", "explain", "an_qualification", "--facts", DATA / "an_facts_qualified.json"])
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.output)
    assert d["outcome"] == "QUALIFIED" and d["trace"]


def test_rules_explain_inline_json_and_param(runner):
    facts = json.loads((DATA / "an_facts_qualified.json").read_text())
    r = runner.invoke(["rules", "explain", "an_qualification", "--facts", json.dumps(facts),
                       "--param", "past_offence_mode=ps_reasons"])
    assert r.exit_code == 0
    assert json.loads(r.output)["defaultApplied"] is True


def test_rules_explain_bad_fact(runner):
    r = runner.invoke(["rules", "explain", "an_qualification", "--facts", '{"computer_rule_code": "x"}'])
    assert r.exit_code == 1 and "computer_rule_code" in r.stderr


def test_db_upgrade_and_seed(runner, db):
    assert runner.invoke(["db", "upgrade"]).exit_code == 0
    r = runner.invoke(["db", "seed"])
    assert r.exit_code == 0, r.stderr
    with db.session() as s:
        assert s.get(Parameter, ("REVIVAL_DAYS", "ANS")).value == "30"
    r = runner.invoke(["db", "seed", "--demo", "--notices", "50"])
    assert r.exit_code == 0 and "demo data" in r.output


def test_jobs_run_unknown_lists_known_jobs(runner):
    r = runner.invoke(["jobs", "run", "no_such_job"])
    assert r.exit_code == 2
    assert "unknown job 'no_such_job'" in r.stderr and "known jobs" in r.stderr


def test_jobs_run_records_runs(runner, db, monkeypatch):
    from api.jobs import registry as jobs
    monkeypatch.setattr(jobs, "JOBS", {})
    calls = []

    @jobs.register_job("demo_job")
    def demo_job(uow, run_key):
        """Count to three."""
        calls.append(run_key)
        return {"counted": 3}

    @jobs.register_job("failing_job")
    def failing_job(uow, run_key):
        raise RuntimeError("boom")

    r = runner.invoke(["jobs", "run", "demo_job", "--key", "2026-01-01"])
    assert r.exit_code == 0 and json.loads(r.output)["status"] == "SUCCESS"
    r = runner.invoke(["jobs", "run", "demo_job", "--key", "2026-01-01"])  # idempotent: not re-run
    assert json.loads(r.output)["status"] == "ALREADY_DONE" and calls == ["2026-01-01"]
    assert runner.invoke(["jobs", "run", "failing_job"]).exit_code == 1
    assert "demo_job\tCount to three." in runner.invoke(["jobs", "list"]).output
    with db.session() as s:
        runs = {(r.job_name, r.status) for r in s.scalars(select(BatchJobRun))}
        assert runs == {("demo_job", "SUCCESS"), ("failing_job", "FAILED")}


# ---- issue 11/13 review item 10 -------------------------------------------------------------------------------
@pytest.mark.parametrize("when", [1, 400])
@pytest.mark.parametrize("suffix", ["", "T1015"])
def test_a_future_run_key_is_refused_and_nothing_is_recorded(runner, db, when, suffix):
    import datetime as dt

    from sqlalchemy import select

    from repository import business_time
    from repository.models import BatchJobRun
    key = (business_time.today() + dt.timedelta(days=when)).isoformat() + suffix
    r = runner.invoke(["jobs", "run", "ts-old-revival", "--key", key])
    assert r.exit_code == 2 and "is in the future" in r.stderr and business_time.today().isoformat() in r.stderr
    assert "Traceback" not in r.stderr
    with db.session() as s:
        assert s.scalars(select(BatchJobRun)).all() == []


def test_todays_and_a_past_key_still_run(runner):
    import datetime as dt

    from repository import business_time
    for key in (business_time.today().isoformat(), (business_time.today() - dt.timedelta(days=3)).isoformat()):
        r = runner.invoke(["jobs", "run", "ts-old-revival", "--key", key])
        assert r.exit_code == 0, (key, r.stderr[-300:])


@pytest.mark.parametrize("args", [["jobs", "list"], ["jobs", "run", "ts-old-revival"], ["rules", "check"]])
def test_an_unknown_time_zone_is_one_line_without_a_traceback(runner, args):
    r = runner.invoke(args, env={"OCMS_TIMEZONE": "Mars/Olympus_Mons"})
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert "OCMS_TIMEZONE" in r.stderr and "Mars/Olympus_Mons" in r.stderr
