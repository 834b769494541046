"""End to end: ``ocms serve`` (gunicorn, 2 workers) over real HTTP on loopback.

A reload with a broken rules directory while requests are being served must
leave every answer 200 from the old rules; a good reload then reaches both
workers through ocms_rules_state.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from repository.migrate import upgrade

DATA = Path(__file__).parent / "data"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUALIFIED = json.loads((DATA / "an_facts_qualified.json").read_text())
CAS = {"Ocp-Apim-Subscription-Key": "e2e-cas-key"}
ADMIN = {"Ocp-Apim-Subscription-Key": "e2e-admin-key"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path, rules_dir):
    """``ocms serve --workers 2`` on a free port and a temporary SQLite database."""
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    port = free_port()
    env = {**os.environ, "OCMS_DATABASE_URL": url, "OCMS_RULES_DIR": str(rules_dir),
           "OCMS_API_KEYS": "cas:e2e-cas-key,admin:e2e-admin-key", "OCMS_RULES_CHECK_INTERVAL": "0.2",
           "OCMS_LOG_LEVEL": "INFO"}
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--workers", "2"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def ready():
        assert proc.poll() is None, log_path.read_text()
        try:
            return requests.get(base + "/health/ready", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # workers may still be booting
            return False
    try:
        wait_for(ready, what="/health/ready")
        # Each worker loads the rules when it boots; wait until both have.
        wait_for(lambda: log_path.read_text().count("rules loaded from") >= 2, what="two workers")
        yield base, proc, rules_dir, log_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def decide(base) -> tuple[int, str | None]:
    r = requests.post(base + "/v1/decisions/an_qualification", json={"facts": QUALIFIED}, headers=CAS, timeout=10)
    return r.status_code, (r.json().get("version") if r.status_code == 200 else r.text)


def bump_version(rules_dir: Path, version: str) -> None:
    path = rules_dir / "an_qualification.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(f"version: {version}\n" if ln.startswith("version:") else ln for ln in lines))


def test_serve_reload_under_load(server):
    base, proc, rules_dir, log_path = server
    status, old = decide(base)
    assert status == 200

    if Path(f"/proc/{proc.pid}/maps").exists():  # the gunicorn master never loads durable_rules
        assert "durable_rules_engine" not in Path(f"/proc/{proc.pid}/maps").read_text()

    answers, stop = [], threading.Event()

    def traffic():
        while not stop.is_set():
            answers.append(decide(base))

    threads = [threading.Thread(target=traffic) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        bump_version(rules_dir, "7.7.7")
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
    assert {decide(base) for _ in range(20)} == {(200, "7.7.7")}
    assert "e2e-cas-key" not in log_path.read_text() and "e2e-admin-key" not in log_path.read_text()
