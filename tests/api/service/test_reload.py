"""POST /v1/admin/rules/reload and the propagation of a reload to every worker."""
import json
import shutil
from pathlib import Path

from sqlalchemy import select

from repository.models import RulesState

DATA = Path(__file__).resolve().parents[1] / "data"
QUALIFIED = json.loads((DATA / "an_facts_qualified.json").read_text())
DRY_RUN = "/v1/decisions/an_qualification"


def bump_version(rules_dir: Path, version: str) -> None:
    """Edit the copy of an_qualification.yaml the way an analyst would."""
    path = rules_dir / "an_qualification.yaml"
    text = path.read_text()
    old = next(line for line in text.splitlines() if line.startswith("version:"))
    path.write_text(text.replace(old, f"version: {version}", 1))


def break_rules(rules_dir: Path) -> None:
    shutil.copy(DATA / "broken_ruleset.bad.yaml", rules_dir / "broken_example.yaml")


def version_of(client, key) -> str:
    r = client.post(DRY_RUN, json={"facts": QUALIFIED}, headers=key("cas"))
    assert r.status_code == 200, r.json
    return r.json["version"]


def test_reload_unchanged_directory(client, key, db):
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200
    assert r.json["changed"] is False
    assert r.json["active"]["rulesets"]["an_qualification"]["version"]
    with db.session() as s:  # the shared state now names the rules in service
        state = s.get(RulesState, "active")
        assert state.dir_hash == r.json["active"]["hash"] and state.updated_by == "admin"


def test_reload_swaps_in_a_changed_directory(client, key, rules_dir, db):
    before = version_of(client, key)
    bump_version(rules_dir, "9.9.9")
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200
    assert r.json["changed"] is True
    assert r.json["active"]["rulesets"]["an_qualification"]["version"] == "9.9.9"
    assert version_of(client, key) == "9.9.9" != before
    with db.session() as s:
        assert s.get(RulesState, "active").dir_hash == r.json["active"]["hash"]


def test_broken_directory_is_422_with_every_error_and_old_rules_keep_serving(client, key, rules_dir, db):
    before = version_of(client, key)
    with db.session() as s:
        generation_before = s.scalar(select(RulesState.generation))
    bump_version(rules_dir, "9.9.9")
    break_rules(rules_dir)
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 422
    data = r.json["data"]
    assert data["appCode"] == "OCMS-4022"
    codes = {e["code"] for e in data["errors"]}
    assert {"undeclared_fact", "unknown_operator"} <= codes
    for e in data["errors"]:
        assert e["file"].endswith("broken_example.yaml") and e["line"] > 0 and e["column"] > 0 and e["hint"]
    assert version_of(client, key) == before
    status = client.get("/v1/rulesets", headers=key("cas")).json
    assert status["lastRejected"]["errors"] and status["active"]["rulesets"]["an_qualification"]["version"] == before
    with db.session() as s:  # nothing signalled to the other workers
        assert s.scalar(select(RulesState.generation)) == generation_before


def test_reload_needs_the_admin_key(client):
    assert client.post("/v1/admin/rules/reload").status_code == 401


def test_a_reload_in_one_worker_reaches_another(make_app, key, rules_dir, db):
    worker_a, worker_b = make_app(), make_app()
    a, b = worker_a.test_client(), worker_b.test_client()
    assert version_of(a, key) == version_of(b, key) != "9.9.9"
    bump_version(rules_dir, "9.9.9")
    r = a.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200 and r.json["changed"] is True
    # B reads ocms_rules_state before its next request (check interval 0 in tests) and reloads.
    assert version_of(b, key) == "9.9.9"
    with db.session() as s:
        assert s.get(RulesState, "active").generation == r.json["generation"]


def test_check_is_throttled_to_the_interval(make_app, key, rules_dir):
    worker_a, worker_b = make_app(), make_app(OCMS_RULES_CHECK_INTERVAL=3600)
    a, b = worker_a.test_client(), worker_b.test_client()
    old = version_of(b, key)  # B's first check happens here; the next not before an hour
    bump_version(rules_dir, "9.9.9")
    assert a.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    assert version_of(b, key) == old


def test_worker_that_cannot_load_the_new_generation_keeps_its_rules(make_app, key, rules_dir, db):
    from repository.queries import bump_rules_state
    worker_b = make_app()
    b = worker_b.test_client()
    old = version_of(b, key)
    # Another worker published a generation, but B's copy of the directory is broken by now.
    break_rules(rules_dir)
    with db.unit_of_work() as uow:
        bump_rules_state(uow.session, "0" * 64, updated_by="admin")
        uow.commit()
    assert version_of(b, key) == old
    status = b.get("/v1/rulesets", headers=key("cas")).json
    assert status["lastRejected"]["errors"]
