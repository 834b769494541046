"""Health probes and the served OpenAPI document."""
from sqlalchemy import create_engine


def test_live(client):
    r = client.get("/health/live")
    assert r.status_code == 200 and r.json == {"status": "UP"}


def test_ready_when_database_and_rules_are_up(client):
    r = client.get("/health/ready")
    assert r.status_code == 200
    assert r.json["database"] == "UP" and r.json["rules"] == "UP" and r.json["rulesHash"]


def test_ready_is_503_when_rules_cannot_load(make_app, rules_dir, tmp_path):
    empty_broken = tmp_path / "broken_rules"
    empty_broken.mkdir()
    (empty_broken / "x.yaml").write_text("ruleset: [unclosed\n")
    r = make_app(OCMS_RULES_DIR=str(empty_broken)).test_client().get("/health/ready")
    assert r.status_code == 503
    assert r.json["rules"] == "DOWN" and r.json["status"] == "DOWN"


def test_ready_is_503_when_database_unreachable(make_app, tmp_path):
    from api.database import get_db
    app = make_app()
    db = get_db(app)
    db.engine = create_engine(f"sqlite:///{tmp_path}/missing-dir/nope.db")
    r = app.test_client().get("/health/ready")
    assert r.status_code == 503 and r.json["database"] == "DOWN"


def test_openapi_document_lists_the_endpoints(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json
    assert doc["info"]["title"] == "OCMS decision service"
    for path in ("/health/live", "/health/ready", "/v1/rulesets", "/v1/rulesets/{name}",
                 "/v1/decisions/{ruleset}", "/v1/decision-log", "/v1/admin/rules/reload"):
        assert path in doc["paths"], path
    post = doc["paths"]["/v1/decisions/{ruleset}"]["post"]
    assert "400" in post["responses"] and "422" not in post["responses"]
    assert "subscriptionKey" in doc["components"]["securitySchemes"]


def test_docs_ui_is_served(client):
    r = client.get("/docs")
    assert r.status_code == 200 and b"swagger" in r.data.lower()
