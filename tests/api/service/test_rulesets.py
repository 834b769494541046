"""GET /v1/rulesets and /v1/rulesets/<name>."""


def test_list_shows_version_and_hash_of_each_ruleset(client, key):
    r = client.get("/v1/rulesets", headers=key("cas"))
    assert r.status_code == 200
    active = r.json["active"]
    assert active["hash"]
    an = active["rulesets"]["an_qualification"]
    assert an["version"] and len(an["hash"]) == 64
    assert r.json["lastRejected"] is None


def test_list_accepts_a_staff_jwt(client, bearer):
    assert client.get("/v1/rulesets", headers=bearer()).status_code == 200


def test_detail_lists_the_rules(client, key):
    r = client.get("/v1/rulesets/an_qualification", headers=key("plus"))
    assert r.status_code == 200
    body = r.json
    assert body["name"] == "an_qualification"
    ids = [rule["id"] for rule in body["rules"]]
    assert "BR-AN-GATE-001" in ids
    assert body["facts"]["computer_rule_code"]["type"] == "integer"
    assert "default" in body and "hitPolicy" in body


def test_unknown_ruleset_is_4004(client, key):
    r = client.get("/v1/rulesets/no_such_rules", headers=key("cas"))
    assert r.status_code == 404
    assert r.json["data"]["appCode"] == "OCMS-4004"
    assert "no_such_rules" in r.json["data"]["message"]


def test_requires_credentials(client):
    assert client.get("/v1/rulesets").status_code == 401
