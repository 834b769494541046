"""Dry-run decisions, the decision log and recording decisions."""
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repository.models import DecisionLog

DATA = Path(__file__).resolve().parents[1] / "data"
QUALIFIED = json.loads((DATA / "an_facts_qualified.json").read_text())
URL = "/v1/decisions/an_qualification"


def test_dry_run_returns_outcome_fired_rules_and_trace(client, key, db):
    r = client.post(URL, json={"facts": QUALIFIED, "explain": True}, headers=key("cas"))
    assert r.status_code == 200, r.json
    d = r.json
    assert d["outcome"] == "QUALIFIED"
    assert d["firedRules"] == ["BR-AN-QUAL-002"]
    assert {a["name"] for a in d["actions"]} == {"set_notice_fields", "queue_an_notification"}  # PS-ANS after the send
    assert d["version"] and d["hash"]
    matched = [t for t in d["trace"] if t["matched"]]
    assert [t["rule"] for t in matched] == ["BR-AN-QUAL-002"]
    assert any("failedCondition" in t for t in d["trace"])
    with db.session() as s:  # a dry run writes nothing
        assert s.scalar(select(func.count()).select_from(DecisionLog)) == 0


def test_dry_run_trace_shows_conditions_as_written(client, key):
    """Issue 15: the operator and list name as the YAML has them, the fact's value; the compiled form beside."""
    facts = {**QUALIFIED, "vehicle_registration_type": "S"}
    r = client.post(URL, json={"facts": facts, "explain": True}, headers=key("cas"))
    assert r.status_code == 200, r.json
    gate = next(t for t in r.json["trace"] if t["rule"] == "BR-AN-GATE-002")
    assert gate["failedCondition"] == "vehicle_registration_type not_in local_vehicle_types"
    assert gate["actual"] == "S" and isinstance(gate["line"], int)
    assert gate["compiledCondition"] == "vehicle_registration_type != 'S'"


def test_dry_run_without_explain_has_no_trace(client, key):
    r = client.post(URL, json={"facts": QUALIFIED, "explain": False}, headers=key("cas"))
    assert r.status_code == 200 and "trace" not in r.json


def test_dry_run_with_parameters(client, key):
    body = {"facts": {**QUALIFIED, "past_qualifying_offences_24m": 0},
            "parameters": {"past_offence_mode": "ps_reasons"}}
    r = client.post(URL, json=body, headers=key("cas"))
    assert r.status_code == 200
    assert r.json["outcome"] == "NOT_QUALIFIED" and r.json["defaultApplied"] is True


def test_dry_run_with_staff_jwt(client, bearer):
    assert client.post(URL, json={"facts": QUALIFIED}, headers=bearer()).status_code == 200


@pytest.mark.parametrize("bad, fact", [
    ({"computer_rule_code": "10100"}, "computer_rule_code"),
    ({"offence_notice_type": "Z"}, "offence_notice_type"),
    ({"past_offences_24m": None}, "past_offences_24m"),
    ({"no_such_fact": 1}, "no_such_fact"),
])
def test_ill_typed_fact_is_4000_naming_the_fact(client, key, bad, fact):
    r = client.post(URL, json={"facts": {**QUALIFIED, **bad}}, headers=key("cas"))
    assert r.status_code == 400
    data = r.json["data"]
    assert data["appCode"] == "OCMS-4000"
    assert [e["field"] for e in data["errors"]] == [fact]


def test_bad_parameter_is_4000(client, key):
    r = client.post(URL, json={"facts": QUALIFIED, "parameters": {"nope": 1}}, headers=key("cas"))
    assert r.status_code == 400 and r.json["data"]["errors"][0]["field"] == "nope"


def test_unknown_ruleset_is_4004(client, key):
    r = client.post("/v1/decisions/no_such_rules", json={"facts": {}}, headers=key("cas"))
    assert r.status_code == 404
    assert r.json["data"]["appCode"] == "OCMS-4004"


def _record(app, subject, ruleset="an_qualification", request_id="req-1"):
    from api.database import get_db
    from api.decisions.log import record_decisions
    from api.decisions.service import get_rules
    decision = get_rules(app).registry.evaluate(ruleset, QUALIFIED)
    with get_db(app).unit_of_work() as uow:
        n = record_decisions(uow.session, [decision], subject, request_id=request_id, caller="repccs")
        uow.commit()
    return n


def test_record_decisions_bulk_with_one_subject_each(app, db):
    from api.decisions.log import record_decisions
    from api.decisions.service import get_rules
    decisions = get_rules(app).registry.evaluate_many("an_qualification", [QUALIFIED, {**QUALIFIED,
                                                                                      "offence_notice_type": "E"}])
    with db.unit_of_work() as uow:
        assert record_decisions(uow.session, decisions, ["N1", "N2"], "rid", "cas") == 2
        uow.commit()
    with db.session() as s:
        rows = {r.subject: r for r in s.scalars(select(DecisionLog))}
        assert rows["N1"].outcome == "QUALIFIED" and rows["N2"].fired_rules == ["BR-AN-GATE-001"]
        assert rows["N1"].ruleset_hash == decisions[0].hash and rows["N1"].caller == "cas"
        assert rows["N1"].actions[1]["name"] == "queue_an_notification" and rows["N1"].facts["offence_notice_type"] == "O"


def test_record_decisions_rolls_back_with_the_unit_of_work(app, db):
    from api.decisions.log import record_decisions
    from api.decisions.service import get_rules
    d = get_rules(app).registry.evaluate("an_qualification", QUALIFIED)
    with db.unit_of_work() as uow:
        record_decisions(uow.session, [d], "N9", "rid", "cas")  # no commit
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionLog)) == 0


def test_record_decisions_checks_subject_count(app, db):
    from api.decisions.log import record_decisions
    from api.decisions.service import get_rules
    d = get_rules(app).registry.evaluate("an_qualification", QUALIFIED)
    with db.unit_of_work() as uow, pytest.raises(ValueError):
        record_decisions(uow.session, [d], ["A", "B"], "rid", "cas")


def test_decision_log_answers_why_a_notice_got_ps_ans(app, client, key, bearer):
    _record(app, "500400058A", request_id="req-why")
    _record(app, "500400059B")
    r = client.get("/v1/decision-log?subject=500400058A", headers=key("admin"))
    assert r.status_code == 200
    assert r.json["subject"] == "500400058A"
    [entry] = r.json["decisions"]
    assert entry["outcome"] == "QUALIFIED" and entry["firedRules"] == ["BR-AN-QUAL-002"]
    assert entry["requestId"] == "req-why" and entry["caller"] == "repccs"
    # Qualified: left pending notification; PS-ANS follows the send (an_notification_route, OCMS 10 §3.7).
    assert [a["name"] for a in entry["actions"]] == ["set_notice_fields", "queue_an_notification"]
    assert entry["rulesetVersion"] and entry["rulesetHash"] and entry["dryRun"] is False
    # Staff Portal operators may ask too; filters by ruleset and limit.
    r = client.get("/v1/decision-log?subject=500400058A&ruleset=stage_catalogue&limit=5", headers=bearer())
    assert r.status_code == 200 and r.json["decisions"] == []


def test_decision_log_newest_first_and_limited(app, client, key):
    for i in range(3):
        _record(app, "N1", request_id=f"r{i}")
    r = client.get("/v1/decision-log?subject=N1&limit=2", headers=key("admin"))
    assert [e["requestId"] for e in r.json["decisions"]] == ["r2", "r1"]


@pytest.mark.parametrize("query, field", [("", "subject"), ("?subject=N1&limit=0", "limit"),
                                          ("?subject=N1&limit=x", "limit")])
def test_decision_log_bad_query_is_4000(client, key, query, field):
    r = client.get("/v1/decision-log" + query, headers=key("admin"))
    assert r.status_code == 400 and field in [e["field"] for e in r.json["data"]["errors"]]


def test_decision_log_refuses_calling_systems(client, key):
    assert client.get("/v1/decision-log?subject=N1", headers=key("cas")).status_code == 401


@pytest.mark.parametrize("label", ["030é", "030\u2028", "030\\", "0\"30"])
def test_dry_run_writes_nothing_to_the_decision_cache_and_valid_labels_stay_valid(app, client, key, label):
    """Issue 9: a dry run of an odd label must not poison the cache for later valid labels."""
    from api.decisions.service import get_rules
    registry = get_rules(app).registry
    before = registry.cache_stats()["ces_subsystem"]
    r = client.post("/v1/decisions/ces_subsystem", json={"facts": {"subsystem_label": label}}, headers=key("cas"))
    import re
    assert r.status_code == 200
    as_written = re.fullmatch(r"(0[3-9][0-9]|[1-9][0-9][0-9]).{0,5}", label, re.S) is not None
    assert r.json["outcome"] == ("VALID" if as_written else "INVALID")   # the rule as written, characters not bytes
    assert registry.cache_stats()["ces_subsystem"] == before
    for good in ("030AB", "230EHT"):
        ok = client.post("/v1/decisions/ces_subsystem", json={"facts": {"subsystem_label": good}}, headers=key("cas"))
        assert ok.status_code == 200 and ok.json["outcome"] == "VALID", ok.json
