"""``/docs`` renders Swagger UI from files installed with the package: a real Chromium with no network."""
from __future__ import annotations


def test_swagger_ui_renders_every_operation_without_the_internet(live_server, page):
    page.goto(live_server + "/docs", wait_until="load")
    page.wait_for_selector(".opblock", timeout=30_000)
    operations = page.locator(".opblock").count()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("OCMS decision service")
    assert operations >= 15, operations
    for path in ("/v1/repccsWebhook", "/v1/ocms/cas-getPaymentStatus", "/v1/decision-log", "/v1/cps/submit"):
        assert any(p.replace("\u200b", "") == path for p in paths), (path, paths)
    assert page.blocked == []                      # nothing was even asked of the internet


def test_the_page_names_only_local_assets(client):
    html = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html and "http" not in html.split("<body>")[0].replace(
        'rel="stylesheet"', "")
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        r = client.get("/docs/assets/" + asset)
        assert r.status_code == 200 and len(r.data) > 1000, asset
    assert client.get("/docs/assets/../../setup.cfg").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404
