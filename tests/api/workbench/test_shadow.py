"""Shadow mode: candidate rules decide every live decision beside the rules in service, never applied."""
import shutil
from pathlib import Path

from sqlalchemy import func, select

from repository.models import SuspendedNotice, ValidOffenceNotice

KEYS = {"repccs": "repccs-test-key", "cas": "cas-test-key", "admin": "admin-test-key"}
REPCCS = {"Ocp-Apim-Subscription-Key": KEYS["repccs"]}
ADMIN = {"Ocp-Apim-Subscription-Key": KEYS["admin"]}


def files_of(directory: Path) -> dict:
    return {p.name: p.read_text() for p in sorted(directory.glob("*.yaml"))}


def without_local_s(directory: Path) -> Path:
    """A candidate where S is no longer a local vehicle type (an analyst's list edit)."""
    p = directory / "an_qualification.yaml"
    p.write_text(p.read_text().replace("local_vehicle_types: [S, D, V, I]", "local_vehicle_types: [D, V, I]"))
    return directory


def intake(client, notice_no: str, vehicle_type: str = "S"):
    body = {"transactionId": f"T-{notice_no}", "subsystemLabel": "001", "anFlag": "N", "noticeNo": notice_no,
            "vehicleNo": f"SBA{notice_no[-4:]}A", "computerRuleCode": 10100, "compositionAmount": 70.00,
            "noticeDateAndTime": "2026-01-15T08:30:00", "offenceNoticeType": "O", "vehicleCategory": "C",
            "vehicleRegistrationType": vehicle_type, "ppCode": "A0001", "ppName": "Car Park",
            "creUserId": "repccs_user", "creDate": "2026-01-15T08:31:00"}
    r = client.post("/v1/repccsWebhook", json=body, headers=REPCCS)
    assert r.status_code == 200, r.json
    return r


def test_shadow_sees_every_live_decision_and_never_applies(make_seeded_app, tmp_path, rules_dir, db, qualified):
    app = make_seeded_app(OCMS_API_KEYS=dict(KEYS))
    client = app.test_client()
    cand = without_local_s(shutil.copytree(rules_dir, tmp_path / "cand"))
    r = client.post("/v1/admin/rules/shadow", json={"files": files_of(cand)}, headers=ADMIN)
    assert r.status_code == 200 and r.json["complete"] is True and r.json["shadowId"], r.json
    status = client.get("/v1/rulesets", headers=ADMIN).json
    assert status["shadow"]["id"] == r.json["shadowId"]

    intake(client, "500400058A", "S")   # live: default NOT_QUALIFIED; shadow: gate BR-AN-GATE-002
    intake(client, "500400059B", "D")   # the same in both
    with db.session() as s:             # applied by the rules in service only
        assert s.get(ValidOffenceNotice, "500400058A").an_flag == "N"
        assert s.scalar(select(func.count()).select_from(SuspendedNotice)) == 0

    summary = client.get("/v1/admin/rules/shadow", headers=ADMIN).json
    assert summary["shadow"]["active"] is True
    per = summary["perRuleset"]
    # every ruleset the intake asks (vehicle_type, stage_map, double_booking, an_qualification) was compared
    assert per["an_qualification"] == {"compared": 2, "differed": 1, "dropped": 0}
    assert per["vehicle_type"]["compared"] == 2 and per["vehicle_type"]["differed"] == 0
    assert summary["pairs"] == [{"ruleset": "an_qualification", "live": "NOT_QUALIFIED", "shadow": "NOT_QUALIFIED",
                                 "count": 1}]
    ex = summary["examples"][0]
    assert ex["subject"] == "500400058A" and ex["caller"] == "repccs"
    assert ex["live"]["firedRules"] == [] and ex["shadow"]["firedRules"] == ["BR-AN-GATE-002"]
    assert ex["facts"]["vehicle_registration_type"] == "S"


def test_shadow_reaches_every_worker_without_restart_and_turns_off(make_app, make_seeded_app, tmp_path, rules_dir,
                                                                   qualified):
    from api.decisions.service import get_rules
    a = make_seeded_app(OCMS_API_KEYS=dict(KEYS), OCMS_RULES_CHECK_INTERVAL=0.05)
    b = make_app(OCMS_API_KEYS=dict(KEYS), OCMS_RULES_CHECK_INTERVAL=0.05)
    ca, cb = a.test_client(), b.test_client()
    for app in (a, b):
        get_rules(app).registry  # boot
        get_rules(app).start_following()
    cand = without_local_s(shutil.copytree(rules_dir, tmp_path / "cand"))
    r = ca.post("/v1/admin/rules/shadow", json={"files": files_of(cand)}, headers=ADMIN)
    assert r.status_code == 200 and len(r.json["workers"]) == 2 and all(w["current"] for w in r.json["workers"])
    assert get_rules(b).shadow is not None and get_rules(b).shadow_id == r.json["shadowId"]
    get_rules(b).registry.evaluate("an_qualification", qualified)  # a live decision in worker B
    get_rules(b).flush_shadow()
    assert ca.get("/v1/admin/rules/shadow", headers=ADMIN).json["perRuleset"]["an_qualification"]["differed"] == 1

    off = ca.delete("/v1/admin/rules/shadow", headers=ADMIN)
    assert off.status_code == 200 and off.json["shadowId"] == r.json["shadowId"]
    assert get_rules(b).shadow is None
    summary = cb.get("/v1/admin/rules/shadow", headers=ADMIN).json
    assert summary["shadow"]["active"] is False and summary["shadow"]["stoppedBy"] == "admin"
    assert summary["perRuleset"]["an_qualification"]["differed"] == 1  # the results stay readable


def test_a_broken_candidate_starts_no_shadow(client, rules_dir):
    files = files_of(rules_dir)
    files["an_qualification.yaml"] = files["an_qualification.yaml"].replace("hit_policy: first", "hit_policy: best")
    r = client.post("/v1/admin/rules/shadow", json={"files": files}, headers=ADMIN)
    assert r.status_code == 422 and r.json["data"]["errors"][0]["file"] == "upload/an_qualification.yaml"
    assert client.get("/v1/rulesets", headers=ADMIN).json["shadow"] is None


def test_shadow_failures_never_touch_the_live_answer(app, client, rules_dir, qualified, db):
    """A shadow with only one ruleset refuses the others: counted as differences, live answers stand."""
    from api.decisions.service import get_rules
    one = {"an_qualification.yaml": files_of(rules_dir)["an_qualification.yaml"].replace(
        "past_offences_24m: {gt: 0}", "past_offences_24m: {gt: 9}")}
    assert client.post("/v1/admin/rules/shadow", json={"files": one}, headers=ADMIN).status_code == 200
    reg = get_rules(app).registry
    assert reg.evaluate("stage_map", {"new_processing_stage": "NPA"}).outcome
    assert reg.evaluate("an_qualification", {**qualified, "past_offences_24m": 1}).outcome == "QUALIFIED"
    bad = dict(qualified, computer_rule_code="x")
    try:
        reg.evaluate("an_qualification", bad)
    except Exception as e:  # the live refusal, as without a shadow
        assert type(e).__name__ == "FactError"
    summary = client.get("/v1/admin/rules/shadow?ruleset=stage_map", headers=ADMIN).json
    assert summary["perRuleset"]["stage_map"]["differed"] == 1
    assert "has no ruleset 'stage_map'" in summary["examples"][0]["shadow"]["error"]
    assert summary["perRuleset"]["an_qualification"]["differed"] == 1


def test_overlay_shadow_and_publishing_the_candidate_ends_it(client, rules_dir, db):
    import re
    one = {"an_qualification.yaml": re.sub(r"(?m)^version: .*$", "version: 7.2.9",
                                           files_of(rules_dir)["an_qualification.yaml"])}
    r = client.post("/v1/admin/rules/shadow?overlay=true", json={"files": one}, headers=ADMIN)
    assert r.status_code == 200
    shadow = client.get("/v1/rulesets", headers=ADMIN).json["shadow"]
    (rules_dir / "an_qualification.yaml").write_text(one["an_qualification.yaml"])
    assert client.post("/v1/admin/rules/reload", headers=ADMIN).status_code == 200
    body = client.get("/v1/rulesets", headers=ADMIN).json
    assert body["shadow"] is None and body["published"]["hash"] == shadow["hash"]
    summary = client.get("/v1/admin/rules/shadow", headers=ADMIN).json
    assert summary["shadow"]["stoppedBy"] == "published"


def test_shadow_auth(client, key, bearer):
    assert client.post("/v1/admin/rules/shadow", json={"files": {}}, headers=key("cas")).status_code == 401
    assert client.post("/v1/admin/rules/shadow", json={"files": {}}, headers=bearer()).status_code == 401
    assert client.delete("/v1/admin/rules/shadow", headers=bearer()).status_code == 401
    r = client.get("/v1/admin/rules/shadow", headers=bearer())
    assert r.status_code == 200 and r.json["shadow"] is None and r.json["compared"] == 0
    assert client.get("/v1/admin/rules/shadow?id=77", headers=bearer()).status_code == 404
    assert client.get("/v1/admin/rules/shadow").status_code == 401
