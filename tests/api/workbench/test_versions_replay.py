"""Versions kept: GET /v1/rulesets/<name>/versions (with diffs) and ``ocms rules replay``."""
import json

from sqlalchemy import select

from repository.models import DecisionLog


def publish(client, key, rules_dir, edit) -> int:
    edit(rules_dir)
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200, r.json
    return r.json["generation"]


def set_version(name: str, version: str):
    def edit(d):
        p = d / f"{name}.yaml"
        p.write_text("".join(f"version: {version}\n" if ln.startswith("version:") else ln
                             for ln in p.read_text().splitlines(keepends=True)))
    return edit


def test_versions_list_each_content_with_a_unified_diff(client, key, rules_dir):
    from .conftest import version_in
    v1 = version_in(rules_dir / "an_qualification.yaml")
    client.get("/v1/rulesets", headers=key("cas"))  # generation 1: the first start
    assert publish(client, key, rules_dir, set_version("an_qualification", "7.1.0")) == 2
    assert publish(client, key, rules_dir, set_version("stage_map", "9.0.0")) == 3  # an_qualification unchanged
    r = client.get("/v1/rulesets/an_qualification/versions", headers=key("cas"))
    assert r.status_code == 200
    versions = r.json["versions"]
    assert [(v["generation"], v["generations"], v["version"], v["inService"]) for v in versions] == [
        (2, [2, 3], "7.1.0", True), (1, [1], v1, False)]
    assert versions[0]["publishedBy"] == "admin" and versions[1]["publishedBy"] == "initial"
    diff = versions[0]["diff"]
    assert f"-version: {v1}" in diff and "+version: 7.1.0" in diff
    assert diff.startswith(f"--- an_qualification.yaml (generation 1, version {v1})")
    assert versions[1]["diff"] is None
    assert len(versions[0]["hash"]) == 64 and versions[0]["hash"] != versions[1]["hash"]
    # rolling back is one more version, whose diff goes the other way
    r = client.post("/v1/admin/rules/reload", json={"generation": 1}, headers=key("admin"))
    newest = client.get("/v1/rulesets/an_qualification/versions?limit=1", headers=key("cas")).json["versions"]
    assert len(newest) == 1 and newest[0]["generation"] == 4 and newest[0]["version"] == v1
    assert "-version: 7.1.0" in newest[0]["diff"] and newest[0]["inService"]


def test_a_removed_ruleset_shows_as_removed(client, key, rules_dir):
    """A ruleset the code does not evaluate (here one an analyst tried out) can be removed; the required ones
    cannot (tests/api/service/test_required_rulesets.py)."""
    client.get("/v1/rulesets", headers=key("cas"))
    trial = (rules_dir / "cps_toppan.yaml").read_text().replace("ruleset: cps_toppan", "ruleset: cps_toppan_trial", 1)
    publish(client, key, rules_dir, lambda d: (d / "cps_toppan_trial.yaml").write_text(trial))
    publish(client, key, rules_dir, lambda d: (d / "cps_toppan_trial.yaml").unlink())
    versions = client.get("/v1/rulesets/cps_toppan_trial/versions", headers=key("cas")).json["versions"]
    assert versions[0]["removed"] is True and versions[0]["generation"] == 3 and versions[1]["generation"] == 2


def test_one_version_s_content_and_404s(client, key, rules_dir):
    client.get("/v1/rulesets", headers=key("cas"))
    r = client.get("/v1/rulesets/an_qualification/versions/1", headers=key("plus"))
    assert r.status_code == 200 and r.json["content"] == (rules_dir / "an_qualification.yaml").read_text()
    assert client.get("/v1/rulesets/an_qualification/versions/9", headers=key("plus")).status_code == 404
    r = client.get("/v1/rulesets/no_such/versions", headers=key("plus"))
    assert r.status_code == 404 and r.json["data"]["appCode"] == "OCMS-4004"
    assert client.get("/v1/rulesets/an_qualification/versions?limit=0", headers=key("plus")).status_code == 400
    assert client.get("/v1/rulesets/an_qualification/versions").status_code == 401


def test_ruleset_detail_shows_conditions_as_written(client, key):
    body = client.get("/v1/rulesets/an_qualification", headers=key("cas")).json
    rules = {r["id"]: r for r in body["rules"]}
    gate = rules["BR-AN-GATE-002"]
    assert gate["conditions"] == ["vehicle_registration_type not_in local_vehicle_types"]
    assert gate["when"]["test"]["list"] == "local_vehicle_types" and gate["outcome"] == "NOT_QUALIFIED"
    assert gate["source"].startswith("  - id: BR-AN-GATE-002") and "not_in: local_vehicle_types" in gate["source"]
    assert rules["BR-AN-QUAL-002"]["actions"][1]["name"] == "queue_an_notification"
    table = client.get("/v1/rulesets/stage_catalogue", headers=key("cas")).json
    row = next(r for r in table["rules"] if r["id"] == "CPS-ROLE-DRIVER")
    assert "offender_role equals DRIVER" in row["conditions"] and row["source"].strip().startswith("- id: CPS-ROLE-DRIVER")


def test_fixture_run_of_one_ruleset(client, key):
    r = client.get("/v1/rulesets/an_qualification/fixtures", headers=key("cas"))
    assert r.status_code == 200
    assert r.json["failed"] == 0 and r.json["passed"] > 10 and r.json["uncovered"] == []
    assert all(c["decision"]["ruleset"] == "an_qualification" for c in r.json["cases"] if c["decision"])
    vc = r.json["valueCoverage"]  # issue 15: each value and boundary the rules name, tried or not
    assert vc["ruleset"] == "an_qualification" and vc["percent"] == 100.0 and vc["missing"] == []
    labels = [t["label"] for t in vc["rules"]["BR-AN-EXEMPT-002"] if t["cases"]]
    assert {"LB", "HL", "another value"} <= set(labels)
    assert client.get("/v1/rulesets/nope/fixtures", headers=key("cas")).status_code == 404


# ---- replay -------------------------------------------------------------------------------------
def test_replay_under_its_version_and_today(app, client, key, runner, rules_dir, log_decisions, qualified,
                                            move_threshold, db):
    from .conftest import version_in
    v1 = version_in(rules_dir / "an_qualification.yaml")
    log_decisions(app, "an_qualification", [("N-PAST-1", {**qualified, "past_offences_24m": 1}),
                                            ("N-PAST-5", {**qualified, "past_offences_24m": 5})])
    move_threshold(rules_dir, gt=2, version="7.1.0")
    assert client.post("/v1/admin/rules/reload", headers=key("admin")).json["generation"] == 2

    r = runner.invoke(["rules", "replay", "--subject", "N-PAST-1"])
    assert r.exit_code == 1, r.output + r.stderr
    out = r.output
    assert f"recorded:            QUALIFIED  fired ['BR-AN-QUAL-002']  (version {v1}" in out
    assert "under its version:   QUALIFIED  fired ['BR-AN-QUAL-002']  (generation 1)" in out
    assert "today:               NOT_QUALIFIED  fired [] (default)  (generation 2, version 7.1.0)  -> CHANGED" in out
    assert "why today: BR-AN-QUAL-002:" in out and "(actual 1)" in out

    with db.session() as s:
        five = s.scalar(select(DecisionLog.id).where(DecisionLog.subject == "N-PAST-5"))
    r = runner.invoke(["rules", "replay", "--id", five, "--json"])
    assert r.exit_code == 0
    item = json.loads(r.output)[0]
    assert item["reproduced"] is True and item["changedToday"] is False
    assert item["then"]["generation"] == 1 and item["today"]["generation"] == 2
    assert item["today"]["trace"]  # why, today


def test_replay_of_a_decision_whose_version_was_never_kept(app, runner, db, qualified):
    from repository.queries import log_decisions
    app.test_client().get("/health/ready")  # publishes generation 1
    with db.unit_of_work() as uow:
        log_decisions(uow.session, [{"ruleset": "an_qualification", "ruleset_version": "0.9", "ruleset_hash": "f" * 64,
                                     "subject": "OLD-1", "facts": qualified, "outcome": "QUALIFIED",
                                     "fired_rules": ["BR-AN-QUAL-002"]}])
        uow.commit()
    r = runner.invoke(["rules", "replay", "--subject", "OLD-1"])
    assert r.exit_code == 0 and "not available: no published version holds an_qualification" in r.output
    assert "today:               QUALIFIED" in r.output


def test_replay_usage_and_nothing_found(runner, app):
    app.test_client().get("/health/ready")
    assert runner.invoke(["rules", "replay"]).exit_code == 2
    r = runner.invoke(["rules", "replay", "--subject", "NOPE"])
    assert r.exit_code == 2 and "no decision found" in r.stderr


def test_replay_over_http(app, client, key, bearer, rules_dir, log_decisions, qualified, move_threshold):
    log_decisions(app, "an_qualification", [("N-PAST-1", {**qualified, "past_offences_24m": 1})])
    move_threshold(rules_dir, gt=2, version="7.1.0")
    assert client.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    r = client.get("/v1/decision-log/replay?subject=N-PAST-1", headers=bearer())
    assert r.status_code == 200, r.json
    item = r.json["decisions"][0]
    assert item["recorded"]["outcome"] == item["then"]["outcome"] == "QUALIFIED" and item["reproduced"] is True
    assert item["today"]["outcome"] == "NOT_QUALIFIED" and item["changedToday"] is True
    assert client.get("/v1/decision-log/replay?subject=NOPE", headers=bearer()).status_code == 404
    r = client.get("/v1/decision-log/replay", headers=bearer())
    assert r.status_code == 400 and r.json["data"]["errors"][0]["field"] == "subject"
    assert client.get("/v1/decision-log/replay?subject=N-PAST-1", headers=key("cas")).status_code == 401


def test_batch_jobs_decide_with_the_published_version_not_the_files_on_disk(app, client, key, runner, rules_dir, db):
    """cps-stage-map-sync copies the stage map the workers serve; an edit on disk counts only once published."""
    from repository.models import Parameter
    from repository.seed import seed_reference
    with db.unit_of_work() as uow:
        seed_reference(uow.session)
        uow.commit()
    client.get("/health/ready")  # generation 1 published
    p = rules_dir / "stage_map.yaml"
    text = p.read_text()
    row = next(ln for ln in text.splitlines() if "[RR3," in ln and "ALLOWED" in ln)
    p.write_text(text.replace(row, row.replace(", 21]", ", 42]")))

    def rr3_days():
        with db.session() as s:
            return s.get(Parameter, ("STAGEDAYS", "RR3")).value

    assert runner.invoke(["jobs", "run", "cps-stage-map-sync", "--key", "a"]).exit_code == 0
    assert rr3_days() == "21"  # the published stage map, not the edit on disk
    assert client.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    assert runner.invoke(["jobs", "run", "cps-stage-map-sync", "--key", "b"]).exit_code == 0
    assert rr3_days() == "42"
