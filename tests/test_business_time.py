"""Business time is Singapore time (OCMS_TIMEZONE) whatever the host's zone: the same rows under any TZ.

The clock stands at 2026-01-14 17:30 UTC = 2026-01-15 01:30 SGT = 2026-01-14 12:30 in New York: the
business date differs from the host's date in UTC and in New York, so a host-clock date shows at once.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from repository import business_time
from repository.models import BatchJobRun, ChangeOfProcessing, SuspendedNotice, ValidOffenceNotice

INSTANT = dt.datetime(2026, 1, 14, 17, 30, tzinfo=dt.timezone.utc)
BUSINESS_NOW = dt.datetime(2026, 1, 15, 1, 30)
HOST_ZONES = ["UTC", "America/New_York", "Pacific/Kiritimati", "Asia/Singapore"]


@pytest.fixture(params=HOST_ZONES)
def host_zone(request):
    """The host's zone (TZ) for one test, restored afterwards."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def at_instant(time_machine, host_zone):
    # A timestamp: time-machine would otherwise set TZ to the destination's zone.
    time_machine.move_to(INSTANT.timestamp(), tick=False)
    return host_zone


def test_now_and_today_are_singapore_time_whatever_the_host(at_instant):
    assert dt.datetime.now().astimezone().utcoffset() is not None  # the host's zone is in force
    assert business_time.now() == BUSINESS_NOW
    assert business_time.today() == dt.date(2026, 1, 15)
    assert business_time.yesterday() == dt.date(2026, 1, 14)
    assert business_time.to_business_time(dt.datetime(2026, 1, 14, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))) \
        == BUSINESS_NOW
    assert business_time.to_business_time(dt.datetime(2026, 1, 15, 1, 30)) == BUSINESS_NOW  # naive: business time


def test_the_zone_is_configurable(at_instant):
    try:
        business_time.set_zone("Europe/London")
        assert business_time.now() == dt.datetime(2026, 1, 14, 17, 30)
    finally:
        business_time.set_zone("Asia/Singapore")
    assert business_time.now() == BUSINESS_NOW


def test_an_unknown_zone_is_refused_at_start_up():
    from api.config import ConfigError, load_config
    with pytest.raises(ConfigError, match="OCMS_TIMEZONE"):
        load_config({"OCMS_TIMEZONE": "Asia/Atlantis"})
    assert load_config({})["OCMS_TIMEZONE"] == "Asia/Singapore"
    assert load_config({"OCMS_TIMEZONE": "UTC"})["OCMS_TIMEZONE"] == "UTC"


def test_intake_rows_carry_business_time(make_seeded_app, at_instant):
    from api.database import get_db
    app = make_seeded_app(OCMS_API_KEYS={"ces": "k"})
    db = get_db(app)
    r = app.test_client().post("/v1/cesWebhook-create-notice", headers={"Ocp-Apim-Subscription-Key": "k"}, json={
        "subsystemLabel": "230EHT", "anFlag": "Y", "noticeNo": "500400058A", "vehicleNo": "SBA1234A",
        "computerRuleCode": 10100, "compositionAmount": 70.00, "noticeDateAndTime": "2026-01-15T00:45:00",
        "offenceNoticeType": "O", "vehicleRegistrationType": "S"})
    assert r.status_code == 200, r.get_json()
    with db.session() as s:
        n = s.get(ValidOffenceNotice, "500400058A")
        assert (n.cre_date, n.last_processing_date, n.epr_date_of_suspension) == (BUSINESS_NOW,) * 3
        assert n.next_processing_date == BUSINESS_NOW + dt.timedelta(days=2)
        assert n.due_date_of_revival == BUSINESS_NOW + dt.timedelta(days=30)
        [susp] = s.scalars(select(SuspendedNotice)).all()
        assert susp.date_of_suspension == BUSINESS_NOW


def test_job_keys_are_business_dates(db, at_instant):
    from api.advisory.unqualified_list import previous_day
    from api.jobs import run_job
    from api.jobs.registry import JOBS
    assert previous_day() == "2026-01-14"
    out = run_job(db, "mirror-retry")
    assert out["runKey"] == "2026-01-15" and "mirror-retry" in JOBS
    with db.session() as s:
        run = s.scalars(select(BatchJobRun)).one()
        assert run.started_at == BUSINESS_NOW and run.finished_at == BUSINESS_NOW


def test_cps_change_is_dated_today_in_singapore(make_app, at_instant, tmp_path):
    from api.database import get_db
    from tests.api.cps.test_api import OIC, body, notice, seed
    from tests.conftest import API_KEYS
    app = make_app(OCMS_API_KEYS={**API_KEYS}, OCMS_REPORT_DIR=str(tmp_path / "reports"))
    db = get_db(app)
    seed(db, notice("N000000001"))
    r = app.test_client().post("/v1/cps/submit", json=body(["N000000001"]), headers=OIC)
    assert r.get_json()["results"][0]["status"] == "UPDATED"
    with db.session() as s:
        [audit] = s.scalars(select(ChangeOfProcessing)).all()
        assert audit.date_of_change == dt.date(2026, 1, 15) and audit.cre_date == BUSINESS_NOW
        assert s.get(ValidOffenceNotice, "N000000001").last_processing_date == BUSINESS_NOW
    assert r.get_json()["report"]["fileName"].startswith("CPS_Change_Report_20260115_013000_")


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_a_fresh_process_in_another_zone_gives_the_same_business_time(zone):
    """The process-wide default (no set_zone call): OCMS_TIMEZONE unset means Asia/Singapore."""
    code = ("import json, datetime as dt, time_machine\n"
            f"with time_machine.travel({INSTANT.timestamp()}, tick=False):\n"
            "    from repository import business_time\n"
            "    print(json.dumps([business_time.now().isoformat(), business_time.today().isoformat(),"
            " dt.datetime.now().isoformat()]))\n")
    env = {k: v for k, v in os.environ.items() if k != "OCMS_TIMEZONE"}
    env["TZ"] = zone
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr
    business_now, business_today, host_now = json.loads(out.stdout)
    assert (business_now, business_today) == (BUSINESS_NOW.isoformat(), "2026-01-15")
    assert host_now != business_now  # the host's own clock is elsewhere


def test_the_rules_read_offset_datetimes_in_the_business_zone(make_app):
    """The engine's fact checker gets OCMS_TIMEZONE too: the rules in service, the jobs' and the CLI's registries."""
    from api.decisions.instrumented import new_registry
    from api.decisions.service import get_rules
    app = make_app(OCMS_TIMEZONE="Europe/London")
    try:
        with app.app_context():
            assert get_rules().registry.timezone == "Europe/London"
        registry = new_registry(app.config["OCMS_RULES_DIR"])
        try:
            assert registry.timezone == "Europe/London"
        finally:
            registry.close()
    finally:
        business_time.set_zone("Asia/Singapore")
    assert str(business_time.business_zone()) == "Asia/Singapore"  # back to the default for the other tests
