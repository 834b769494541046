"""A rules version lacking a ruleset the code evaluates never goes into service (api/decisions/required.py).

Found by a reviewer: moving ``rules/ces_eht_flag.yaml`` away and reloading published the version
(200); every CES intake then answered 404 "unknown ruleset" naming every loaded ruleset — a
client error for a server fault.
"""
from pathlib import Path

import yaml
from sqlalchemy import func, select

from api.decisions.required import REQUIRED_RULESETS
from repository.models import RulesVersion, ValidOffenceNotice
from tests.api.advisory.test_intake import KEYS, ces_payload
from tests.conftest import key

RULES = Path(__file__).resolve().parents[3] / "rules"


def test_the_required_list_is_what_rules_ships():
    shipped = {yaml.safe_load(p.read_text())["ruleset"] for p in RULES.glob("*.yaml")}
    assert REQUIRED_RULESETS == shipped


def test_reload_without_a_required_ruleset_is_refused_and_nothing_published(app, client, rules_dir, db):
    assert client.get("/v1/rulesets", headers=key("admin")).status_code == 200  # generation 1 in service
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(RulesVersion))
    (rules_dir / "ces_eht_flag.yaml").unlink()
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["data"]["errors"]
    assert [e["code"] for e in errors] == ["missing_ruleset"]
    assert "ces_eht_flag" in errors[0]["message"] and "ces_eht_flag.yaml:1:1" in errors[0]["field"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(RulesVersion)) == before
    assert client.post("/v1/decisions/ces_eht_flag", json={"facts": {}}, headers=key("admin")).status_code != 404


def test_a_ruleset_missing_at_request_time_is_503_and_names_nothing(make_seeded_app, rules_dir):
    from api.database import get_db
    (rules_dir / "ces_eht_flag.yaml").unlink()  # first start on an empty database publishes what is on disk
    app = make_seeded_app(OCMS_API_KEYS=dict(KEYS))
    client = app.test_client()
    r = client.post("/v1/cesWebhook-create-notice", json=ces_payload(),
                    headers={"Ocp-Apim-Subscription-Key": KEYS["ces"]})
    assert r.status_code == 503 and r.get_json()["data"]["appCode"] == "OCMS-5003"
    assert "an_qualification" not in r.get_data(as_text=True)  # the loaded rulesets are not listed
    with get_db(app).session() as s:
        assert s.scalar(select(func.count()).select_from(ValidOffenceNotice)) == 0
    # a caller naming an unknown ruleset is still told 404, without the loaded list
    r = client.post("/v1/decisions/no_such_ruleset", json={"facts": {}}, headers=key("admin"))
    assert r.status_code == 404 and "loaded" not in r.get_data(as_text=True)
