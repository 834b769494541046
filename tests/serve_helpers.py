"""Helpers of the end-to-end tests that run ``ocms serve`` (gunicorn) as a subprocess on loopback.

    with ocms_serve(tmp_path / "serve.log", {"OCMS_DATABASE_URL": url}, "--workers", "2") as served:
        wait_for(lambda: served.answers("/health/ready"), what="/health/ready")
        requests.get(served.base + "/v1/rulesets", ...)

Used by tests/api/test_serve_e2e.py, test_serve_rollout_e2e.py, test_serve_edge.py and
tests/api/web/test_observability_e2e.py (:func:`wait_for` also by the scheduler races in tests/api/jobs/);
imported as ``tests.serve_helpers``. Production never sees it.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import requests

from simulators.runner import free_port

__all__ = ["PROJECT_ROOT", "QUALIFIED", "Served", "decide", "free_port", "ocms_serve", "set_version", "stop",
           "wait_for"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Facts an_qualification decides QUALIFIED.
QUALIFIED = json.loads((PROJECT_ROOT / "tests" / "api" / "data" / "an_facts_qualified.json").read_text())

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 60.0, what: str = "condition") -> T:
    """Call ``predicate`` every 0.1 s until it returns something true, and return that; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM ``proc`` and wait for it; SIGKILL it if it is still there after ``timeout`` s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class Served:
    """A running ``ocms serve``: its base URL, port, process and the file its output goes to."""

    base: str
    port: int
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """Everything master and workers wrote so far."""
        return self.log_path.read_text()

    def get(self, path: str, **kwargs) -> requests.Response | None:
        """``GET base + path``; None while nobody answers yet (workers may still be booting).

        Fails with the server's output if the server has exited.
        """
        assert self.proc.poll() is None, self.log()
        try:
            return requests.get(self.base + path, **kwargs)
        except (requests.ConnectionError, requests.Timeout):
            return None

    def answers(self, path: str, timeout: float = 2) -> bool:
        """Whether ``GET path`` answers 200 now (a readiness predicate for :func:`wait_for`)."""
        r = self.get(path, timeout=timeout)
        return r is not None and r.status_code == 200

    def workers_loaded(self, n: int) -> bool:
        """Whether the log shows ``n`` workers that loaded the rules (each worker logs it when it boots)."""
        return self.log().count("rules loaded from") >= n


@contextlib.contextmanager
def ocms_serve(log_path: Path, env: dict[str, str | None], *args: str) -> Iterator[Served]:
    """Run ``ocms serve --host 127.0.0.1 --port <a free port> *args`` until the block ends, then :func:`stop` it.

    The environment is this process's with ``env`` over it (a value None removes that variable); the
    output of master and workers goes to ``log_path``. Waiting until the server is up is the caller's
    (:meth:`Served.answers`, :func:`wait_for`), inside the block, so that a server that never comes up
    is stopped too.
    """
    port = free_port()
    full_env = {**os.environ, **env}
    for name in [k for k, v in full_env.items() if v is None]:
        del full_env[name]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 *args], cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield Served(f"http://127.0.0.1:{port}", port, proc, log_path)
    finally:
        stop(proc)


def decide(base: str, headers: dict) -> tuple[int, str | None]:
    """Ask for an_qualification on :data:`QUALIFIED`: (status, the ruleset version that decided, or the body)."""
    r = requests.post(base + "/v1/decisions/an_qualification", json={"facts": QUALIFIED}, headers=headers, timeout=10)
    return r.status_code, (r.json().get("version") if r.status_code == 200 else r.text)


def set_version(rules_dir: Path, version: str) -> None:
    """Write ``version`` into ``rules_dir``'s an_qualification.yaml (on disk only: nothing is reloaded)."""
    path = rules_dir / "an_qualification.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(f"version: {version}\n" if ln.startswith("version:") else ln for ln in lines))
