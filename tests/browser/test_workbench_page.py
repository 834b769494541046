"""The workbench page in a real browser (Chromium via Playwright), against the app over loopback HTTP.

Each state is kept as a screenshot under the printed artifacts folder:
sign-in refused, rulesets, rules table with a rule's YAML, a decision with its trace,
a refused fact, the fixtures run, the impact of an uploaded candidate, the versions with diffs.
"""
import json
import re
import time
from pathlib import Path

import jwt
import requests
from sqlalchemy import select

from repository.models import RulesState

DATA = Path(__file__).resolve().parents[1] / "api" / "data"
QUALIFIED = json.loads((DATA / "an_facts_qualified.json").read_text())
JWT_SECRET = "jwt-test-secret-0123456789abcdef0123"  # tests/conftest.py
ADMIN = {"Ocp-Apim-Subscription-Key": "admin-test-key"}


def token(roles=("OIC",)) -> str:
    """A Staff Portal JWT as the edge requires it (``exp`` included, api/web/auth.py)."""
    return jwt.encode({"sub": "analyst1", "roles": list(roles), "exp": int(time.time()) + 3600}, JWT_SECRET,
                      algorithm="HS256")


def sign_in(page, value: str, kind: str = "jwt") -> None:
    page.check(f"input[name=kind][value={kind}]")
    page.fill("#credential", value)
    page.click("#signin-button")


def log_decisions(app, rows: list[tuple[str, dict]]) -> None:
    """Applied decisions as the intake would record them (subject, facts)."""
    from api.database import get_db
    from api.decisions.log import record_decisions
    from api.decisions.service import get_rules
    reg = get_rules(app).registry
    with get_db(app).unit_of_work() as uow:
        for subject, facts in rows:
            record_decisions(uow.session, [reg.evaluate("an_qualification", facts)], subject, "rid-test", "repccs")
        uow.commit()


def test_workbench_page_in_chromium(page, app, live_server, artifacts, rules_dir, tmp_path):
    base = live_server
    page.set_viewport_size({"width": 1400, "height": 900})
    shot = lambda name: page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)  # noqa: E731
    log_decisions(app, [("500400058A", QUALIFIED), ("500400059B", {**QUALIFIED, "past_offences_24m": 1}),
                                    ("500400060C", {**QUALIFIED, "past_offences_24m": 5})])
    from api.database import get_db
    with get_db(app).session() as s:
        generation_before = s.scalar(select(RulesState.generation))

    resp = page.goto(base + "/workbench/")
    assert resp.status == 200 and "default-src 'self'" in resp.headers["content-security-policy"]
    assert page.title() == "OCMS rules workbench"

    # -- a wrong credential is refused, nothing shown
    sign_in(page, "not-a-token")
    page.wait_for_selector("#signin-error:has-text('not accepted')")
    assert page.is_hidden("#workspace")
    shot("01-credential-refused")

    # -- a Staff Portal JWT: the rulesets in service
    sign_in(page, token())
    page.wait_for_selector("#rulesets button[data-ruleset=an_qualification]")
    assert "generation 1" in page.inner_text("#in-service")
    assert page.evaluate("JSON.parse(sessionStorage.getItem('ocms.workbench.credential')).kind") == "jwt"
    shot("02-rulesets")

    # -- the rules of a ruleset as a table, conditions as written; a row's YAML
    page.click("#rulesets button[data-ruleset=an_qualification]")
    page.wait_for_selector("#rules-table tbody tr[data-rule='BR-AN-GATE-002']")
    rows = page.locator("#rules-table tbody tr")
    described = requests.get(base + "/v1/rulesets/an_qualification", headers=ADMIN, timeout=10).json()
    assert rows.count() == len(described["rules"])
    gate = page.locator("#rules-table tbody tr[data-rule='BR-AN-GATE-002']")
    assert "vehicle_registration_type not_in local_vehicle_types" in gate.inner_text()
    assert "NOT_QUALIFIED" in gate.inner_text()
    qual = page.locator("#rules-table tbody tr[data-rule='BR-AN-QUAL-002']")
    assert "queue_an_notification" in qual.inner_text()  # PS-ANS follows the notification (issue 12)
    gate.click()
    assert "not_in: local_vehicle_types" in page.inner_text("#rule-source")
    shot("03-rules-table")

    # -- enter facts, see the decision and the trace
    page.click("button[data-tab=try]")
    page.fill("#facts", json.dumps(QUALIFIED))
    page.click("#decide-button")
    page.wait_for_selector("[data-testid=outcome]")
    assert page.inner_text("[data-testid=outcome]") == "QUALIFIED"
    trace = page.locator("#trace-table tbody tr")
    assert trace.count() == len(described["rules"])
    assert "did not match" in trace.nth(0).inner_text() and "matched" in page.inner_text("#trace-table tr.hit")
    shot("04-decision-and-trace")

    page.fill("#facts", json.dumps({**QUALIFIED, "computer_rule_code": "twenty"}))
    page.click("#decide-button")
    page.wait_for_selector("#decide-error li")
    assert "computer_rule_code" in page.inner_text("#decide-error")
    shot("05-facts-refused")

    # -- run the ruleset's fixtures
    page.click("button[data-tab=fixtures]")
    page.click("#fixtures-button")
    page.wait_for_selector("#fixtures-table tbody tr")
    assert re.search(r"\d+ passed, 0 failed", page.inner_text("#fixtures-summary"))
    assert "every rule is fired by a fixture" in page.inner_text("#fixtures-summary")
    shot("06-fixtures")

    # -- the impact of an uploaded candidate: a threshold moved
    candidate = tmp_path / "an_qualification.yaml"
    text = (rules_dir / "an_qualification.yaml").read_text()
    v1 = next(ln for ln in text.splitlines() if ln.startswith("version:"))
    candidate.write_text(text.replace("past_offences_24m: {gt: 0}", "past_offences_24m: {gt: 2}")
                         .replace(v1, "version: 7.1.0"))
    page.click("button[data-tab=impact]")
    page.set_input_files("#impact-files", str(candidate))
    page.click("#impact-button")
    page.wait_for_selector("[data-testid=impact-verdict]")
    assert page.inner_text("[data-testid=impact-verdict]") == "Some decisions would change"
    log_table = page.inner_text("[data-testid=impact-changes-decisionLog]")
    # past offences 3 and 1 fall under the new threshold; 5 still qualifies
    assert "500400058A" in log_table and "500400059B" in log_table and "500400060C" not in log_table
    assert "BR-AN-QUAL-002" in log_table
    assert "Logged decisions: 2 of 3 would change" in page.inner_text("#impact-result")
    shot("07-impact")

    # a broken candidate: every error, located
    candidate.write_text(text.replace("when: {offence_notice_type: {not: O}}", "wen: {offence_notice_type: {not: O}}"))
    page.set_input_files("#impact-files", str(candidate))
    page.click("#impact-button")
    page.wait_for_selector("#impact-error li")
    assert "OCMS-4022" in page.inner_text("#impact-error") and "an_qualification.yaml:" in page.inner_text("#impact-error")
    shot("08-impact-candidate-rejected")

    # -- versions with diffs (an operator publishes a second version meanwhile)
    (rules_dir / "an_qualification.yaml").write_text(text.replace(v1, "version: 7.1.1"))
    assert requests.post(base + "/v1/admin/rules/reload", headers=ADMIN, timeout=30).status_code == 200
    page.click("button[data-tab=versions]")
    page.wait_for_selector("#versions pre.diff")
    assert f"-{v1}" in page.inner_text("#versions pre.diff") and "+version: 7.1.1" in page.inner_text("#versions")
    assert "IN SERVICE" in page.inner_text("#versions h3")
    shot("09-versions")

    # the page only read: the one publication is the operator's; nothing left loopback
    with get_db(app).session() as s:
        assert s.scalar(select(RulesState.generation)) == generation_before + 1
    assert page.blocked == []
    assert sorted(p.name for p in artifacts.glob("*.png"))[:1] == ["01-credential-refused.png"]


def test_workbench_with_the_admin_key_and_forgetting_it(page, live_server, artifacts):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(live_server + "/workbench/")
    sign_in(page, "admin-test-key", kind="key")
    page.wait_for_selector("#rulesets button[data-ruleset=stage_map]")
    page.click("#rulesets button[data-ruleset=stage_map]")
    page.wait_for_selector("#rules-table tbody tr")
    assert page.locator("#rules-table tbody tr").count() > 3  # a decision table: one row per table row
    page.screenshot(path=str(artifacts / "10-admin-key-decision-table.png"), full_page=True)
    page.click("#signout-button")
    assert page.is_hidden("#workspace")
    assert page.evaluate("sessionStorage.getItem('ocms.workbench.credential')") is None
