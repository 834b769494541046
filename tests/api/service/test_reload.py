"""Published rules versions: first start, reload (200 / 202), rollout to every worker, rollback, lastRejected.

Each ``make_app()`` is one worker on the same database (like gunicorn workers).
"""
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from engine.bundle import read_directory
from repository.models import RulesBlob, RulesBundleFile, RulesState, RulesVersion, RulesWorker

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


def state(db):
    with db.session() as s:
        st = s.get(RulesState, "active")
        return (st.generation, st.dir_hash, st.updated_by) if st is not None else None


def test_first_start_publishes_the_directory_as_generation_1(client, key, rules_dir, db):
    assert version_of(client, key)
    with db.session() as s:
        versions = s.scalars(select(RulesVersion)).all()
        assert [(v.generation, v.published_by, v.source) for v in versions] == [(1, "initial", str(rules_dir))]
        stored = dict(s.execute(select(RulesBundleFile.file_name, RulesBlob.content)
                                .join(RulesBlob, RulesBlob.content_hash == RulesBundleFile.content_hash)
                                .where(RulesBundleFile.bundle_hash == versions[0].bundle_hash)).all())
    # every file's content is in the database, byte for byte
    assert stored == {p.name: p.read_text() for p in rules_dir.glob("*.yaml")}
    assert state(db)[:2] == (1, read_directory(rules_dir).hash)


def test_reload_unchanged_directory(client, key, db):
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200
    assert r.json["changed"] is False and r.json["generation"] == 1 and r.json["complete"] is True
    assert r.json["active"]["rulesets"]["an_qualification"]["version"]
    assert state(db)[:2] == (1, r.json["active"]["hash"])


def test_reload_publishes_a_changed_directory_and_serves_it(client, key, rules_dir, db):
    before = version_of(client, key)
    bump_version(rules_dir, "9.9.9")
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200, r.json
    assert r.json["changed"] is True and r.json["generation"] == 2 and r.json["complete"] is True
    assert r.json["active"]["rulesets"]["an_qualification"]["version"] == "9.9.9"
    assert r.json["published"]["generation"] == 2 and r.json["published"]["publishedBy"] == "admin"
    assert version_of(client, key) == "9.9.9" != before
    assert state(db) == (2, r.json["active"]["hash"], "admin")


def test_broken_directory_is_422_nothing_published_and_every_worker_shows_the_same_rejection(make_app, key, rules_dir,
                                                                                              db):
    a, b = make_app().test_client(), make_app().test_client()
    before = version_of(a, key)
    assert version_of(b, key) == before
    bump_version(rules_dir, "9.9.9")
    break_rules(rules_dir)
    r = a.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 422
    data = r.json["data"]
    assert data["appCode"] == "OCMS-4022"
    assert {"undeclared_fact", "unknown_operator"} <= {e["code"] for e in data["errors"]}
    for e in data["errors"]:  # errors name the file in the rules directory: no snapshot, no server path
        assert e["file"] == "broken_example.yaml" and e["line"] > 0 and e["column"] > 0 and e["hint"]
    assert version_of(a, key) == version_of(b, key) == before
    assert state(db)[0] == 1  # nothing published
    seen = [c.get("/v1/rulesets", headers=key("cas")).json["lastRejected"] for c in (a, b)]
    assert seen[0] == seen[1] and seen[0]["errors"] and seen[0]["by"] == "admin"
    assert seen[0]["errors"][0]["file"].endswith("broken_example.yaml")


def test_reload_needs_the_admin_key(client):
    assert client.post("/v1/admin/rules/reload").status_code == 401
    assert client.get("/v1/admin/rules/generations/1").status_code == 401


def test_a_worker_that_starts_loads_the_published_version_not_the_files_on_disk(make_app, key, rules_dir):
    a = make_app().test_client()
    published = version_of(a, key)
    bump_version(rules_dir, "6.6.6")  # changed on disk, never reloaded
    break_rules(rules_dir)            # and broken too: a new worker must not even read it
    b = make_app().test_client()
    assert version_of(b, key) == published
    assert b.get("/health/ready").status_code == 200


def test_after_the_200_every_worker_serves_the_new_version(make_app, key, rules_dir):
    from api.decisions.service import get_rules
    apps = [make_app(OCMS_RULES_CHECK_INTERVAL=0.05) for _ in range(3)]
    clients = [app.test_client() for app in apps]
    old = {version_of(c, key) for c in clients}
    for app in apps:
        get_rules(app).start_following()  # what ocms serve does in each worker
    bump_version(rules_dir, "9.9.9")
    r = clients[0].post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200 and r.json["complete"] is True, r.json
    assert len(r.json["workers"]) == 3 and all(w["current"] and w["generation"] == 2 for w in r.json["workers"])
    # no request was needed to move the others: their registries already hold the new rules
    for app in apps[1:]:
        assert get_rules(app).in_service.get("an_qualification").version == "9.9.9"
    assert {version_of(c, key) for c in clients} == {"9.9.9"} != old


def test_a_lagging_worker_makes_the_reload_202_with_a_way_to_wait(make_app, key, rules_dir, db):
    from api.decisions.service import get_rules
    a = make_app(OCMS_RULES_RELOAD_WAIT=0.3).test_client()
    lagging = make_app(OCMS_RULES_CHECK_INTERVAL=3600)
    b = lagging.test_client()
    old = version_of(b, key)  # B's first check happens here; the next not before an hour
    bump_version(rules_dir, "9.9.9")
    r = a.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 202, r.json
    assert r.json["generation"] == 2 and r.json["complete"] is False
    assert r.headers["Location"].endswith("/v1/admin/rules/generations/2")
    behind = [w for w in r.json["workers"] if not w["current"]]
    assert len(behind) == 1 and behind[0]["generation"] == 1
    waiting = a.get(r.headers["Location"], headers=key("admin"))
    assert waiting.status_code == 202 and waiting.json["inService"] is True
    assert version_of(b, key) == old
    get_rules(lagging).sync(force=True)  # what its follower thread does every interval
    done = a.get(r.headers["Location"] + "?wait=5", headers=key("admin"))
    assert done.status_code == 200 and done.json["complete"] is True
    assert version_of(b, key) == "9.9.9"


def test_workers_without_a_recent_heartbeat_are_not_waited_for(client, key, rules_dir, db):
    version_of(client, key)
    with db.unit_of_work() as uow:  # a worker killed an hour ago left its row behind
        uow.session.add(RulesWorker(worker_id="gone:1:x", host="gone", pid=1, generation=1,
                                    started_at=datetime.now() - timedelta(hours=2),
                                    seen_at=datetime.now() - timedelta(hours=1)))
        uow.commit()
    bump_version(rules_dir, "9.9.9")
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200 and [w["id"] for w in r.json["workers"]] != ["gone:1:x"]
    assert all(w["id"] != "gone:1:x" for w in r.json["workers"])


def test_rollback_republishes_an_earlier_generation(client, key, rules_dir, db):
    first = version_of(client, key)
    bump_version(rules_dir, "9.9.9")
    assert client.post("/v1/admin/rules/reload", headers=key("admin")).json["generation"] == 2
    r = client.post("/v1/admin/rules/reload", json={"generation": 1}, headers=key("admin"))
    assert r.status_code == 200 and r.json["generation"] == 3
    assert version_of(client, key) == first
    with db.session() as s:
        rows = {v.generation: (v.bundle_hash, v.source) for v in s.scalars(select(RulesVersion))}
    assert rows[3][0] == rows[1][0] and rows[3][1].startswith("generation 1")
    missing = client.post("/v1/admin/rules/reload", json={"generation": 99}, headers=key("admin"))
    assert missing.status_code == 404 and missing.json["data"]["errors"][0]["field"] == "generation"
    bad = client.post("/v1/admin/rules/reload", json={"generation": "one"}, headers=key("admin"))
    assert bad.status_code == 400 and bad.json["data"]["errors"][0]["field"] == "generation"


def test_a_worker_that_cannot_load_the_new_generation_keeps_its_rules_and_says_why(make_app, key, rules_dir, db):
    from api.decisions.service import get_rules
    a = make_app(OCMS_RULES_RELOAD_WAIT=0.2).test_client()
    worker_b = make_app(OCMS_RULES_CHECK_INTERVAL=3600)
    b = worker_b.test_client()
    old = version_of(b, key)
    bump_version(rules_dir, "9.9.9")
    assert a.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 202
    with db.unit_of_work() as uow:  # the stored content is damaged before B reads it
        new_hash = uow.session.get(RulesState, "active").dir_hash
        blob = uow.session.scalars(select(RulesBundleFile.content_hash).where(
            RulesBundleFile.bundle_hash == new_hash, RulesBundleFile.file_name == "an_qualification.yaml")).one()
        uow.session.execute(update(RulesBlob).where(RulesBlob.content_hash == blob).values(content="ruleset: x\n"))
        uow.commit()
    get_rules(worker_b).sync(force=True)
    assert version_of(b, key) == old
    rollout = a.get("/v1/admin/rules/generations/2", headers=key("admin")).json
    stuck = [w for w in rollout["workers"] if not w["current"]]
    assert len(stuck) == 1 and "does not hash to its name" in stuck[0]["error"]


def test_status_shows_the_published_version(client, key):
    body = client.get("/v1/rulesets", headers=key("cas")).json
    assert body["published"]["generation"] == body["active"]["generation"] == 1
    assert body["published"]["hash"] == body["active"]["hash"]
    assert body["shadow"] is None and body["lastRejected"] is None
