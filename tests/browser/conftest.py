"""A real browser for page tests: Playwright driving the system's Chromium (Debian's ``chromium`` package).

Shared by every page test (``tests/browser/``):

* ``browser`` — headless Chromium at ``$OCMS_CHROMIUM`` (default ``/usr/bin/chromium``). A missing
  browser FAILS the tests (it never skips them): ``.ci/run`` installs it with apt-get.
  Playwright's own browser download is never used (``playwright install`` cannot run here).
* ``page`` — a fresh page whose requests to anything but loopback are aborted and listed in
  ``page.outside_requests`` (a page must not need the internet: no CDN).
* ``live_server`` — an app (``make_app``) served over real HTTP on a free loopback port.
* ``artifacts`` — the folder screenshots go to: ``$OCMS_TEST_ARTIFACTS`` or
  ``instance/test-artifacts/<test module>/``; printed by the test.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("OCMS_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) or set OCMS_CHROMIUM; "
                    "the page tests need a real browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[dev]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.outside_requests = []

    def guard(route):
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            pg.outside_requests.append(route.request.url)
            route.abort()
    pg.route("**/*", guard)
    yield pg
    context.close()


@pytest.fixture
def artifacts(request) -> Path:
    root = Path(os.environ.get("OCMS_TEST_ARTIFACTS") or PROJECT_ROOT / "instance" / "test-artifacts")
    d = root / request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {d}")
    return d


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(make_app):
    """``make_app()`` served on a free loopback port (``.url``, ``.app``)."""
    srv = LiveServer(make_app())
    yield srv
    srv.stop()
