"""Two officers submit a change to the same notice at once: each with its own app (worker) on one database."""
from __future__ import annotations

import threading

from sqlalchemy import select

from repository.models import ChangeOfProcessing, ValidOffenceNotice

from tests.conftest import bearer
from .test_api import body, notice, seed


def _race(apps, payloads):
    """Submit each payload from its own app at the same moment; return the responses in order."""
    barrier = threading.Barrier(len(apps))
    out = [None] * len(apps)

    def go(i):
        client = apps[i].test_client()
        client.get("/health/live")  # load rules etc. before the race
        barrier.wait()
        out[i] = client.post("/v1/cps/submit", json=payloads[i], headers=bearer(f"officer{i + 1}", ("OIC",)))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(apps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _state(db, no):
    with db.session() as s:
        von = s.scalars(select(ValidOffenceNotice).where(ValidOffenceNotice.notice_no == no)).one()
        audit = list(s.scalars(select(ChangeOfProcessing).where(ChangeOfProcessing.notice_no == no)
                               .order_by(ChangeOfProcessing.id)))
        return ((von.prev_processing_stage, von.last_processing_stage),
                [(a.last_processing_stage, a.new_processing_stage, a.authorised_officer) for a in audit])


def test_the_later_officer_sees_existing_change_today(make_app, tmp_path):
    apps = [make_app(OCMS_REPORT_DIR=str(tmp_path / f"r{i}")) for i in range(2)]
    from api.database import get_db
    db = get_db(apps[0])
    seed(db, notice("C000000001", stage="RD1"))
    for app in apps:  # compile the rules before the race
        get_rules_loaded(app)
    r1, r2 = _race(apps, [body(["C000000001"], "RD2"), body(["C000000001"], "RR3")])
    statuses = sorted([r1.get_json()["results"][0]["status"], r2.get_json()["results"][0]["status"]])
    assert statuses == ["UPDATED", "WARNING"]
    loser = r1 if r1.get_json()["results"][0]["status"] == "WARNING" else r2
    assert loser.get_json()["results"][0]["code"] == "OCMS.CPS.ELIG.EXISTING_CHANGE_TODAY"
    (prev, last), audit = _state(db, "C000000001")
    assert len(audit) == 1 and prev == "RD1" and last == audit[0][1]


def test_confirmed_changes_at_once_lose_no_update(make_app, tmp_path):
    """Both confirmed: applied one after the other, one audit row each, the second starts where the first ended."""
    apps = [make_app(OCMS_REPORT_DIR=str(tmp_path / f"r{i}")) for i in range(2)]
    from api.database import get_db
    db = get_db(apps[0])
    seed(db, notice("C000000002", stage="RD1"))
    for app in apps:
        get_rules_loaded(app)
    r1, r2 = _race(apps, [body(["C000000002"], "RD2", confirm=True), body(["C000000002"], "RR3", confirm=True)])
    assert [r.get_json()["results"][0]["status"] for r in (r1, r2)] == ["UPDATED", "UPDATED"]
    (prev, last), audit = _state(db, "C000000002")
    assert len(audit) == 2
    assert sorted(a[2] for a in audit) == ["officer1", "officer2"]
    first, second = audit
    assert first[0] == "RD1" and second[0] == first[1]  # the later change saw the earlier one's stage
    assert (prev, last) == (first[1], second[1])


def get_rules_loaded(app):
    from api.decisions.service import get_rules
    get_rules(app).registry


def test_the_same_stage_at_once_one_wins_the_other_is_told_why(make_app, tmp_path):
    """Issue 11 review item 11: the README's claim matches what happens when both ask for the same stage."""
    apps = [make_app(OCMS_REPORT_DIR=str(tmp_path / f"r{i}")) for i in range(2)]
    from api.database import get_db
    db = get_db(apps[0])
    seed(db, notice("C000000003", stage="RD1"))
    for app in apps:
        get_rules_loaded(app)
    r1, r2 = _race(apps, [body(["C000000003"], "RD2"), body(["C000000003"], "RD2")])
    results = sorted((r.get_json()["results"][0] for r in (r1, r2)), key=lambda x: x["status"] != "UPDATED")
    winner, loser = results
    assert winner["status"] == "UPDATED"
    # validated on the notice as the winner left it (at RD2): RD2 -> RD2 is no move of the stage map
    assert (loser["status"], loser["code"]) == ("NOT_CHANGEABLE", "OCMS.CPS.ELIG.NO_STAGE_RULE"), loser
    (prev, last), audit = _state(db, "C000000003")
    assert len(audit) == 1 and (prev, last) == ("RD1", "RD2")
