"""Impact of a change: ``ocms rules diff`` and ``POST /v1/admin/rules/impact`` (issue 15)."""
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repository.models import DecisionLog, RulesState, RulesVersion


def files_of(directory: Path) -> dict:
    return {p.name: p.read_text() for p in sorted(directory.glob("*.yaml"))}


def zipped(files: dict, folder: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(folder + name, text)
    return buf.getvalue()


def logged(app, log_decisions, qualified):
    log_decisions(app, "an_qualification", [("N-PAST-3", qualified), ("N-PAST-1", {**qualified, "past_offences_24m": 1}),
                                            ("N-PAST-5", {**qualified, "past_offences_24m": 5}),
                                            ("N-GATE", {**qualified, "offence_notice_type": "E"})])


def nothing_written(db) -> tuple:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(DecisionLog)),
                s.scalar(select(func.count()).select_from(RulesVersion)), s.scalar(select(RulesState.generation)))


# ---- CLI --------------------------------------------------------------------------------------
def test_rules_diff_lists_each_changed_decision_with_counts(app, runner, candidate_dir, log_decisions, qualified, db):
    logged(app, log_decisions, qualified)
    before = nothing_written(db)
    r = runner.invoke(["rules", "diff", candidate_dir])
    assert r.exit_code == 1, r.output + r.stderr
    out = r.output
    assert "against the rules in service (published generation 1)" in out
    assert "CHANGED  an_qualification  N-PAST-1  QUALIFIED -> NOT_QUALIFIED" in out
    assert "CHANGED  an_qualification  N-PAST-3  QUALIFIED -> NOT_QUALIFIED" in out
    assert "N-PAST-5" not in out and "N-GATE" not in out
    assert "before: fired ['BR-AN-QUAL-002']" in out and "after:  fired [] (default)" in out
    assert "an_qualification: 2 of 4 change" in out and "an_qualification: QUALIFIED -> NOT_QUALIFIED: 2" in out
    assert "== fixture cases" in out and "vehicle type S with a past offence qualifies" in out
    assert nothing_written(db) == before


def test_rules_diff_of_the_rules_in_service_changes_nothing_and_exits_0(app, runner, rules_dir, log_decisions, qualified):
    logged(app, log_decisions, qualified)
    r = runner.invoke(["rules", "diff", rules_dir])
    assert r.exit_code == 0, r.output + r.stderr
    assert "0 of 4 would change" in r.output


def test_rules_diff_window_ruleset_and_source(app, runner, candidate_dir, log_decisions, qualified, db, tmp_path):
    logged(app, log_decisions, qualified)
    r = runner.invoke(["rules", "diff", candidate_dir, "--against", "decision-log", "--since", "2999-01-01"])
    assert r.exit_code == 0 and "0 read" in r.output and "== fixture cases" not in r.output
    r = runner.invoke(["rules", "diff", candidate_dir, "--against", "decision-log", "--ruleset", "stage_map"])
    assert r.exit_code == 0 and "0 of 0 would change" in r.output
    out = tmp_path / "impact.json"
    r = runner.invoke(["rules", "diff", candidate_dir, "--against", "decision-log", "--json", out, "--limit", "1"])
    assert r.exit_code == 1
    report = json.loads(out.read_text())["decisionLog"]
    assert report["changed"] == 2 and report["compared"] == 4 and len(report["changes"]) == 1
    assert report["pairs"] == [{"ruleset": "an_qualification", "before": "QUALIFIED", "after": "NOT_QUALIFIED", "count": 2}]


def test_rules_diff_uses_the_recorded_parameters(app, runner, rules_dir, tmp_path, log_decisions, qualified):
    """A decision made with an override (same-day check on) is decided again with it."""
    import shutil
    log_decisions(app, "an_qualification", [("N-SAMEDAY", {**qualified, "same_day_an_count": 1})],
                  parameters={"same_day_check": True})
    cand = tmp_path / "c"
    shutil.copytree(rules_dir, cand)
    p = cand / "an_qualification.yaml"
    p.write_text(p.read_text().replace("same_day_an_count: {gt: 0}", "same_day_an_count: {gt: 1}"))
    r = runner.invoke(["rules", "diff", cand, "--against", "decision-log"])
    assert r.exit_code == 1 and "N-SAMEDAY  NOT_QUALIFIED -> QUALIFIED" in r.output


def test_rules_diff_a_broken_candidate_exits_2_with_located_errors(runner, rules_dir, tmp_path):
    import shutil
    cand = tmp_path / "broken"
    shutil.copytree(rules_dir, cand)
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "broken_ruleset.bad.yaml", cand / "broken_example.yaml")
    r = runner.invoke(["rules", "diff", cand])
    assert r.exit_code == 2 and "broken_example.yaml:" in r.output and "nothing compared" in r.stderr


def test_rules_diff_against_a_baseline_directory_without_a_database(runner, rules_dir, candidate_dir):
    r = runner.invoke(["rules", "diff", candidate_dir, "--baseline", rules_dir, "--against", "fixtures"],
                      env={"OCMS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert r.exit_code == 1 and f"against the rules in {rules_dir}" in r.output


def test_rules_diff_with_nothing_published_says_so(runner, candidate_dir, clean_db):
    r = runner.invoke(["rules", "diff", candidate_dir])
    assert r.exit_code == 2 and "nothing is published" in r.stderr


# ---- HTTP -------------------------------------------------------------------------------------
def test_impact_of_uploaded_json_files(app, client, key, candidate_dir, log_decisions, qualified, db):
    logged(app, log_decisions, qualified)
    before = nothing_written(db)
    r = client.post("/v1/admin/rules/impact", json={"files": files_of(candidate_dir)}, headers=key("admin"))
    assert r.status_code == 200, r.json
    body = r.json
    assert body["changed"] is True and body["baseline"]["generation"] == 1
    assert body["candidate"]["rulesets"]["an_qualification"]["version"] == "7.1.0"
    dl = body["decisionLog"]
    assert dl["compared"] == 4 and dl["changed"] == 2 and dl["truncated"] is False
    assert {c["subject"] for c in dl["changes"]} == {"N-PAST-1", "N-PAST-3"}
    change = dl["changes"][0]
    assert change["before"]["firedRules"] == ["BR-AN-QUAL-002"] and change["after"]["firedRules"] == []
    assert body["fixtures"]["changed"] > 0 and body["fixtures"]["perRuleset"]["an_qualification"]["changed"] > 0
    assert nothing_written(db) == before  # never goes into service, writes nothing


def test_impact_of_a_zip_and_of_multipart_uploads(app, client, key, bearer, candidate_dir):
    files = files_of(candidate_dir)
    for data, ctype in ((zipped(files), "application/zip"), (zipped(files, "rules/"), "application/zip")):
        r = client.post("/v1/admin/rules/impact?against=fixtures", data=data, content_type=ctype, headers=key("admin"))
        assert r.status_code == 200 and r.json["changed"] is True and "decisionLog" not in r.json
    r = client.post("/v1/admin/rules/impact?against=fixtures&ruleset=an_qualification",
                    data={"files": (io.BytesIO(files["an_qualification.yaml"].encode()), "an_qualification.yaml"),
                          "overlay": "true"}, content_type="multipart/form-data", headers=bearer())
    assert r.status_code == 200 and r.json["changed"] is True
    assert set(r.json["fixtures"]["perRuleset"]) == {"an_qualification"}
    r = client.post("/v1/admin/rules/impact?against=fixtures",
                    data={"bundle": (io.BytesIO(zipped(files)), "rules.zip")}, content_type="multipart/form-data",
                    headers=key("admin"))
    assert r.status_code == 200 and r.json["changed"] is True


def test_impact_of_a_broken_candidate_is_422_with_every_error(client, key, rules_dir):
    files = files_of(rules_dir)
    files["an_qualification.yaml"] = files["an_qualification.yaml"].replace("    when: {offence_notice_type",
                                                                            "    wen: {offence_notice_type", 1)
    r = client.post("/v1/admin/rules/impact", json={"files": files}, headers=key("admin"))
    assert r.status_code == 422 and r.json["data"]["appCode"] == "OCMS-4022"
    assert all(e["file"].startswith("upload/") for e in r.json["data"]["errors"])
    assert any(e["file"] == "upload/an_qualification.yaml" and e["line"] > 1 for e in r.json["data"]["errors"])


@pytest.mark.parametrize("body, field", [
    ({"files": {}}, "files"),
    ({"files": {"../etc/passwd.yaml": "x"}}, "files"),
    ({"files": {"a/b.yaml": "x"}}, "files"),
    ({"files": {"README.md": "hello"}}, "files"),                    # no ruleset in it
    ({"files": {"x.yaml": 5}}, "files"),
    ({"files": "x"}, "files"),
    ({"files": {"x.yaml": "a"}, "directory": "x"}, "body"),
    ({"directory": "anything"}, "directory"),                         # directories not enabled
    ({"files": {"x.yaml": "ruleset: x"}, "against": ["everything"]}, "against.0"),
    ({"files": {"x.yaml": "ruleset: x"}, "since": "yesterday"}, "since"),
    ({"files": {"x.yaml": "ruleset: x"}, "limit": -1}, "limit"),
])
def test_bad_impact_requests_are_4000_naming_the_field(client, key, body, field):
    r = client.post("/v1/admin/rules/impact", json=body, headers=key("admin"))
    assert r.status_code == 400, r.json
    assert r.json["data"]["appCode"] == "OCMS-4000" and r.json["data"]["errors"][0]["field"] == field


def test_bad_uploads(client, key):
    r = client.post("/v1/admin/rules/impact", data=b"not a zip", content_type="application/zip", headers=key("admin"))
    assert r.status_code == 400 and r.json["data"]["errors"][0]["field"] == "body"
    evil = zipped({"../../x.yaml": "ruleset: x"})
    r = client.post("/v1/admin/rules/impact", data=evil, content_type="application/zip", headers=key("admin"))
    assert r.status_code == 400 and "not a plain file" in r.json["data"]["errors"][0]["message"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.yaml", "a" * 6_000_000)  # 6 MB of text, a few KB compressed
    r = client.post("/v1/admin/rules/impact", data=bomb.getvalue(), content_type="application/zip", headers=key("admin"))
    assert r.status_code == 400 and "unpacks to more than" in r.json["data"]["errors"][0]["message"]
    r = client.post("/v1/admin/rules/impact", data="x", content_type="text/plain", headers=key("admin"))
    assert r.status_code == 415
    r = client.post("/v1/admin/rules/impact", data=b"x" * 6_000_001, content_type="application/zip",
                    headers=key("admin"))
    assert r.status_code == 413


def test_impact_needs_the_admin_key_or_a_jwt(client, key):
    assert client.post("/v1/admin/rules/impact", json={"files": {}}).status_code == 401
    assert client.post("/v1/admin/rules/impact", json={"files": {}}, headers=key("cas")).status_code == 401


def test_candidate_directory_only_under_the_configured_root(make_app, key, tmp_path, candidate_dir, rules_dir):
    import shutil
    root = tmp_path / "candidates"
    root.mkdir()
    shutil.copytree(candidate_dir, root / "threshold")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("ruleset: secret\npassword: hunter2\n")
    (root / "linked").mkdir()
    os.symlink(outside / "secret.yaml", root / "linked" / "secret.yaml")
    os.symlink(outside, root / "escape")
    client = make_app(OCMS_RULES_CANDIDATES_DIR=str(root)).test_client()
    ok = client.post("/v1/admin/rules/impact", json={"directory": "threshold", "against": ["fixtures"]},
                     headers=key("admin"))
    assert ok.status_code == 200 and ok.json["changed"] is True
    assert client.post("/v1/admin/rules/impact", json={"directory": str(root / "threshold"), "against": ["fixtures"]},
                       headers=key("admin")).status_code == 200
    for bad in ("../outside", str(outside), str(rules_dir), "escape", "linked", "/etc", "nope"):
        r = client.post("/v1/admin/rules/impact", json={"directory": bad}, headers=key("admin"))
        assert r.status_code == 400, (bad, r.json)
        assert r.json["data"]["errors"][0]["field"] == "directory"
        assert "hunter2" not in json.dumps(r.json)


def test_impact_window_is_bounded_for_http(make_app, key, candidate_dir, log_decisions, qualified):
    app = make_app(OCMS_IMPACT_MAX_DECISIONS=3)
    logged(app, log_decisions, qualified)
    r = app.test_client().post("/v1/admin/rules/impact", json={"files": files_of(candidate_dir),
                                                               "against": ["decision-log"]}, headers=key("admin"))
    assert r.status_code == 200
    assert r.json["decisionLog"]["rowsRead"] == 3 and r.json["decisionLog"]["truncated"] is True
