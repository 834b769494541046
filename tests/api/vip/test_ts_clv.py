"""The TS-CLV loop (OCMS 14 tab 5): the EOD job over notices at RR3/DR3, the 00:00 re-apply over notices at CPC."""
from __future__ import annotations

import datetime as dt
import os
from unittest import mock

import pytest
from sqlalchemy import insert

from repository.models import (
    BatchJobRun, ChangeOfProcessing, DecisionLog, ESuspendedNotice, EValidOffenceNotice, SuspendedNotice,
    ValidOffenceNotice, now,
)

from .conftest import Killed, all_rows, get, insert_notices, notice_row

TODAY = now().date()


def at(stage, due_in_days, n, vtype="V", prev="RD2", **cols):
    """A notice at ``stage`` whose next stage CPC is due in ``due_in_days`` (negative: overdue)."""
    stage_date = now() - dt.timedelta(days=21)
    return notice_row(n, vtype=vtype, last_processing_stage=stage, last_processing_date=stage_date,
                      prev_processing_stage=prev, prev_processing_date=stage_date - dt.timedelta(days=21),
                      next_processing_stage="CPC", next_processing_date=now() + dt.timedelta(days=due_in_days), **cols)


def clv_at_cpc(n, due_in_days, vtype="V", **cols):
    since = now() - dt.timedelta(days=30)
    fields = dict(last_processing_stage="CPC", prev_processing_stage="RR3", last_processing_date=since,
                  next_processing_stage="CSD", next_processing_date=None, suspension_type="TS",
                  epr_reason_of_suspension="CLV", epr_date_of_suspension=since,
                  due_date_of_revival=now() + dt.timedelta(days=due_in_days))
    row = notice_row(n, vtype=vtype, **{**fields, **cols})
    susp = {"notice_no": n, "date_of_suspension": since, "sr_no": 1, "suspension_type": "TS",
            "reason_of_suspension": "CLV", "due_date_of_revival": row["due_date_of_revival"], "cre_user_id": "t",
            "cre_date": since}
    return row, susp


def run(vdb, name, key=None):
    from api.jobs import run_job
    from api.areas import load_jobs
    load_jobs()
    with mock.patch.dict(os.environ, {"OCMS_RULES_DIR": vdb.rules_dir}):
        return run_job(vdb, name, key)


@pytest.fixture
def vdb(vdb, vip_app):
    vdb.rules_dir = vip_app.config["OCMS_RULES_DIR"]
    return vdb


def test_eod_moves_due_vip_notices_at_rr3_dr3_to_cpc_with_ts_clv(vdb):
    insert_notices(vdb, [
        at("RR3", -1, "V000000001"),                                    # overdue
        at("DR3", 0, "V000000002", prev="DN2"),                         # due today (10:00 or later: still today)
        at("RR3", 1, "V000000003"),                                     # due tomorrow
        at("RR3", -1, "S000000004", vtype="S"),                         # not VIP: stage progression's
        at("RR3", -1, "V000000005", suspension_type="PS", crs_reason_of_suspension="FP"),   # paid: PS-FP
        at("RR3", -1, "V000000006", suspension_type="PS", epr_reason_of_suspension="ANS"),  # permanently suspended
        at("RR3", -1, "V000000007", suspension_type="TS", epr_reason_of_suspension="APP"),  # TS: the spec includes it
        at("RD2", -1, "V000000008"),                                    # not at RR3/DR3
    ])
    out = run(vdb, "vip-ts-clv")
    assert out["status"] == "SUCCESS", out
    assert out["counts"]["suspended"] == 3 and out["counts"]["failed"] == 0
    for n, prev in (("V000000001", "RR3"), ("V000000002", "DR3"), ("V000000007", "RR3")):
        v = get(vdb, ValidOffenceNotice, n)
        assert (v.prev_processing_stage, v.last_processing_stage, v.next_processing_stage, v.next_processing_date) == \
            (prev, "CPC", "CSD", None)
        assert (v.suspension_type, v.epr_reason_of_suspension) == ("TS", "CLV")
        assert v.due_date_of_revival - v.epr_date_of_suspension == dt.timedelta(days=30)  # REVIVAL_DAYS/CLV
        m = get(vdb, EValidOffenceNotice, n)
        assert (m.last_processing_stage, m.suspension_type, m.epr_reason_of_suspension) == ("CPC", "TS", "CLV")
        s = [x for x in all_rows(vdb, SuspendedNotice, notice_no=n) if x.reason_of_suspension == "CLV"]
        assert len(s) == 1 and s[0].due_date_of_revival == v.due_date_of_revival
        assert len([x for x in all_rows(vdb, ESuspendedNotice, notice_no=n) if x.reason_of_suspension == "CLV"]) == 1
        (c,) = all_rows(vdb, ChangeOfProcessing, notice_no=n)
        assert (c.last_processing_stage, c.new_processing_stage, c.source) == (prev, "CPC", "SYSTEM")
        (d,) = all_rows(vdb, DecisionLog, subject=n, ruleset="vip_notice")
        assert d.outcome == "SUSPEND_CLV" and d.fired_rules == ["VIP-CLV-APPLY"]
    for n in ("V000000003", "S000000004", "V000000005", "V000000006", "V000000008"):
        v = get(vdb, ValidOffenceNotice, n)
        assert v.last_processing_stage != "CPC" and v.epr_reason_of_suspension != "CLV"
    assert get(vdb, ValidOffenceNotice, "V000000005").crs_reason_of_suspension == "FP"
    again = run(vdb, "vip-ts-clv")
    assert again["status"] == "ALREADY_DONE"


def test_ts_clv_over_an_active_ts_closes_the_old_suspension(vdb):
    """Issue 13 review item 6 (DESIGN.md §10): TS-CLV replaces a TS-APP; the TS-APP row gets its revival record."""
    since = now() - dt.timedelta(days=3)
    insert_notices(vdb, [at("RR3", -1, "V000000007", suspension_type="TS", epr_reason_of_suspension="APP",
                            epr_date_of_suspension=since, due_date_of_revival=now() + dt.timedelta(days=10))])
    app_row = {"notice_no": "V000000007", "date_of_suspension": since, "sr_no": 1, "suspension_type": "TS",
               "reason_of_suspension": "APP", "due_date_of_revival": now() + dt.timedelta(days=10),
               "cre_user_id": "t", "cre_date": since}
    with vdb.unit_of_work() as uow:
        uow.session.execute(insert(SuspendedNotice), [app_row])
        uow.session.execute(insert(ESuspendedNotice), [app_row])
        uow.commit()
    out = run(vdb, "vip-ts-clv")
    assert out["status"] == "SUCCESS" and out["counts"]["suspended"] == 1, out
    for model in (SuspendedNotice, ESuspendedNotice):
        rows = sorted(all_rows(vdb, model, notice_no="V000000007"), key=lambda r: r.sr_no)
        assert [(r.sr_no, r.reason_of_suspension) for r in rows] == [(1, "APP"), (2, "CLV")]
        old, new = rows
        assert old.date_of_revival is not None and old.revival_reason == "AUT"
        assert "superseded by TS-CLV" in old.revival_remarks
        assert new.date_of_revival is None                        # the one open suspension
    v = get(vdb, ValidOffenceNotice, "V000000007")
    assert (v.suspension_type, v.epr_reason_of_suspension) == ("TS", "CLV")


def test_reapply_revives_and_suspends_again_while_vip_and_lets_v_to_s_leave(vdb):
    items = [clv_at_cpc("V000000001", -1), clv_at_cpc("V000000002", 0), clv_at_cpc("V000000003", 2),
             clv_at_cpc("S000000004", -1, vtype="S")]
    paid_row, paid_susp = clv_at_cpc("V000000005", -1, suspension_type="PS", crs_reason_of_suspension="FP")
    items.append((paid_row, paid_susp))
    insert_notices(vdb, [r for r, _ in items])
    with vdb.unit_of_work() as uow:
        uow.session.execute(insert(SuspendedNotice), [s for _, s in items])
        uow.session.execute(insert(ESuspendedNotice), [s for _, s in items])
        uow.commit()
    out = run(vdb, "vip-ts-clv-reapply")
    assert out["status"] == "SUCCESS", out
    assert (out["counts"]["reapplied"], out["counts"]["leftLoop"], out["counts"]["failed"]) == (2, 1, 0)
    for n in ("V000000001", "V000000002"):
        old, new = sorted(all_rows(vdb, SuspendedNotice, notice_no=n), key=lambda s: s.sr_no)
        assert (old.revival_reason, old.officer_authorising_revival) == ("AUT", "ocmsiz_app_conn")
        assert old.date_of_revival is not None and new.date_of_revival is None
        assert (new.sr_no, new.suspension_type, new.reason_of_suspension) == (2, "TS", "CLV")
        assert new.due_date_of_revival.date() == (new.date_of_suspension + dt.timedelta(days=30)).date()
        v = get(vdb, ValidOffenceNotice, n)
        assert (v.suspension_type, v.epr_reason_of_suspension, v.due_date_of_revival) == ("TS", "CLV", new.due_date_of_revival)
        assert len(all_rows(vdb, ESuspendedNotice, notice_no=n)) == 2
    # V -> S: revived, out of the loop, on to the next stage of the map (CPC from RR3: CSD in 14 days)
    (s,) = all_rows(vdb, SuspendedNotice, notice_no="S000000004")
    assert s.date_of_revival is not None and s.revival_reason == "AUT"
    v = get(vdb, ValidOffenceNotice, "S000000004")
    assert (v.suspension_type, v.epr_reason_of_suspension, v.next_processing_stage) == (None, None, "CSD")
    assert v.next_processing_date.date() == (s.date_of_revival + dt.timedelta(days=14)).date()
    # not yet due, and paid: untouched
    assert all_rows(vdb, SuspendedNotice, notice_no="V000000003")[0].date_of_revival is None
    paid = get(vdb, ValidOffenceNotice, "V000000005")
    assert (paid.suspension_type, paid.crs_reason_of_suspension) == ("PS", "FP")
    assert len(all_rows(vdb, SuspendedNotice, notice_no="V000000005")) == 1
    # the next day's run finds the new TS-CLV not due yet
    assert run(vdb, "vip-ts-clv-reapply", key=TODAY.isoformat())["status"] == "ALREADY_DONE"


def test_a_notice_the_database_refuses_is_logged_and_skipped(vdb, refuse_updates_of, caplog):
    insert_notices(vdb, [at("RR3", -1, f"V00000000{i}") for i in range(1, 8)])
    refuse_updates_of("V000000003")
    out = run(vdb, "vip-ts-clv")
    assert out["status"] == "SUCCESS" and out["counts"]["suspended"] == 6 and out["counts"]["failed"] == 1
    assert out["counts"]["errors"][0].startswith("V000000003: ")
    assert "V000000003 skipped" in caplog.text
    skipped = get(vdb, ValidOffenceNotice, "V000000003")
    assert (skipped.last_processing_stage, skipped.suspension_type) == ("RR3", None)
    assert all_rows(vdb, SuspendedNotice, notice_no="V000000003") == []
    assert all_rows(vdb, ChangeOfProcessing, notice_no="V000000003") == []
    assert len(all_rows(vdb, ChangeOfProcessing)) == 6


@pytest.mark.parametrize("job, statement", [
    ("vip-ts-clv", "INSERT INTO ocms_change_of_processing"),
    ("vip-ts-clv", "INSERT INTO eocms_suspended_notice"),
    ("vip-ts-clv-reapply", "INSERT INTO ocms_suspended_notice"),
    ("ts-old-revival", "UPDATE eocms_valid_offence_notice"),
])
def test_killed_mid_run_then_rerun_finishes_without_doing_anything_twice(vdb, die_at, job, statement):
    if job == "vip-ts-clv":
        insert_notices(vdb, [at("RR3", -1, f"V00000000{i}") for i in range(1, 6)])
    else:
        items = [clv_at_cpc(f"V00000000{i}", -1) for i in range(1, 6)]
        if job == "ts-old-revival":
            for r, s in items:
                r.update(epr_reason_of_suspension="OLD", last_processing_stage="NPA", prev_processing_stage=None)
                s["reason_of_suspension"] = "OLD"
        insert_notices(vdb, [r for r, _ in items])
        with vdb.unit_of_work() as uow:
            uow.session.execute(insert(SuspendedNotice), [s for _, s in items])
            uow.session.execute(insert(ESuspendedNotice), [s for _, s in items])
            uow.commit()
    before = {m: len(all_rows(vdb, m)) for m in (SuspendedNotice, ESuspendedNotice, ChangeOfProcessing)}
    die_at(statement)
    with pytest.raises(Killed):
        run(vdb, job)
    assert [r.status for r in all_rows(vdb, BatchJobRun, job_name=job)] == ["RUNNING"]
    assert {m: len(all_rows(vdb, m)) for m in before} == before   # the run's transaction died with it
    out = run(vdb, job)
    assert out["status"] == "SUCCESS", out
    done = {"vip-ts-clv": "suspended", "vip-ts-clv-reapply": "reapplied", "ts-old-revival": "revived"}[job]
    assert out["counts"][done] == 5
    assert run(vdb, job, TODAY.isoformat())["status"] == "ALREADY_DONE"
    with mock.patch.dict(os.environ, {"OCMS_RULES_DIR": vdb.rules_dir}):
        from api.jobs import run_job
        forced = run_job(vdb, job, TODAY.isoformat(), force=True)
    assert forced["counts"][done] == 0   # nothing left to do: nothing done twice
    opened = [s for s in all_rows(vdb, SuspendedNotice) if s.date_of_revival is None]
    assert len(opened) == (5 if job != "ts-old-revival" else 0)
