"""End to end: ``ocms serve`` (gunicorn, 2 workers) over real HTTP on loopback.

A reload with a broken rules directory while requests are being served must
leave every answer 200 from the old rules; a good reload then reaches both
workers through ocms_rules_state.
"""
import shutil
import threading
import time
from pathlib import Path

import pytest
import requests

from repository.migrate import upgrade
from tests.serve_helpers import decide, ocms_serve, set_version, wait_for

DATA = Path(__file__).parent / "data"
CAS = {"Ocp-Apim-Subscription-Key": "e2e-cas-key"}
ADMIN = {"Ocp-Apim-Subscription-Key": "e2e-admin-key"}


@pytest.fixture
def server(tmp_path, rules_dir):
    """``ocms serve --workers 2`` on a free port and a temporary SQLite database."""
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    env = {"OCMS_DATABASE_URL": url, "OCMS_RULES_DIR": str(rules_dir),
           "OCMS_API_KEYS": "cas:e2e-cas-key,admin:e2e-admin-key", "OCMS_RULES_CHECK_INTERVAL": "0.2",
           "OCMS_LOG_LEVEL": "INFO"}
    with ocms_serve(tmp_path / "serve.log", env, "--workers", "2") as served:
        wait_for(lambda: served.answers("/health/ready"), what="/health/ready")
        # Each worker loads the rules when it boots; wait until both have.
        wait_for(lambda: served.workers_loaded(2), what="two workers")
        yield served.base, served.proc, rules_dir, served.log_path


def test_serve_reload_under_load(server):
    base, proc, rules_dir, log_path = server
    status, old = decide(base, CAS)
    assert status == 200

    if Path(f"/proc/{proc.pid}/maps").exists():  # the gunicorn master never loads durable_rules
        assert "durable_rules_engine" not in Path(f"/proc/{proc.pid}/maps").read_text()

    answers, stop = [], threading.Event()

    def traffic():
        while not stop.is_set():
            answers.append(decide(base, CAS))

    threads = [threading.Thread(target=traffic) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        set_version(rules_dir, "7.7.7")
        shutil.copy(DATA / "broken_ruleset.bad.yaml", rules_dir / "broken_example.yaml")
        r = requests.post(base + "/v1/admin/rules/reload", headers=ADMIN, timeout=30)
        assert r.status_code == 422
        assert r.json()["data"]["appCode"] == "OCMS-4022" and r.json()["data"]["errors"]
        time.sleep(1.0)  # several check intervals: no worker may pick up the broken directory
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(answers) > 10
    assert set(answers) == {(200, old)}, [a for a in answers if a != (200, old)][:3]

    # Repair and reload: the new version reaches both workers.
    (rules_dir / "broken_example.yaml").unlink()
    r = requests.post(base + "/v1/admin/rules/reload", headers=ADMIN, timeout=30)
    assert r.status_code == 200 and r.json()["active"]["rulesets"]["an_qualification"]["version"] == "7.7.7"
    time.sleep(0.5)
    assert {decide(base, CAS) for _ in range(20)} == {(200, "7.7.7")}
    assert "e2e-cas-key" not in log_path.read_text() and "e2e-admin-key" not in log_path.read_text()
