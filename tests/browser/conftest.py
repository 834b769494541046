"""A real browser for the tests that look at pages: Debian's Chromium driven by Playwright, network blocked.

Shared by every browser test (``tests/browser/``). The browser is
``/usr/bin/chromium`` (``OCMS_CHROMIUM`` to override; .ci/run installs Debian's
``chromium`` package if it is missing) — Playwright's own browser downloads are
never used. Without it the fixture FAILS, it does not skip. Every page gets a
route that aborts any request not for loopback and records it in
``page.blocked``, so a page that needs the internet shows up as a failure.

* ``live_server`` — the app on a free loopback port (werkzeug, a thread);
* ``browser`` — one headless Chromium per test session;
* ``page`` — a fresh page with the loopback-only route.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("OCMS_CHROMIUM") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (.ci/run does)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    pg.blocked = []

    def only_loopback(route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            pg.blocked.append(route.request.url)
            route.abort("internetdisconnected")
    context.route("**/*", only_loopback)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def live_server(app):
    """``app`` served over real HTTP on a free loopback port; yields the base URL."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
