"""Change Processing Stage (OCMS 15) over HTTP: every §10 code in the spec's order, submit, reports, PLUS, Toppan."""
from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import insert, select, text

from repository.models import (
    ChangeOfProcessing, DecisionLog, EValidOffenceNotice, OffenceNoticeOwnerDriver, ReportFile, ValidOffenceNotice,
)

from tests.conftest import API_KEYS, bearer, key
from repository import business_time

TOPPAN_KEY = {"Ocp-Apim-Subscription-Key": "toppan-test-key"}
OIC = bearer("officer1", ("OIC",))
ROLE_CODE = {"OWNER": "O", "DRIVER": "D", "HIRER": "H", "DIRECTOR": "DIR"}


def notice(no: str, stage: str | None = "RD1", role: str | None = "OWNER", suspension: str | None = None,
           composition: str = "70.00", **extra) -> dict:
    now = business_time.now()
    return {"notice_no": no, "vehicle_no": f"SBA{no[-4:]}", "notice_date_and_time": now - dt.timedelta(days=30),
            "offence_notice_type": extra.pop("offence_notice_type", "O"), "computer_rule_code": 10100,
            "composition_amount": Decimal(composition), "amount_payable": Decimal(composition),
            "last_processing_stage": stage, "last_processing_date": now - dt.timedelta(days=5),
            "prev_processing_stage": "ROV", "suspension_type": suspension, "offender_name": f"Offender {no}",
            "_role": role, **extra}


def seed(db, *notices: dict, roles: dict | None = None, changes: list[dict] | None = None, mirror: bool = True):
    """Insert notices (and their mirror), one current offender per notice unless _role is None."""
    rows = [{k: v for k, v in n.items() if not k.startswith("_")} for n in notices]
    offenders = [{"notice_no": n["notice_no"], "owner_driver_indicator": ROLE_CODE[n["_role"]], "is_current": "Y",
                  "id_no": f"S{n['notice_no'][-7:]}", "name": n["offender_name"]}
                 for n in notices if n.get("_role")]
    with db.unit_of_work() as uow:
        if rows:
            uow.session.execute(insert(ValidOffenceNotice), rows)
            if mirror:
                uow.session.execute(insert(EValidOffenceNotice), rows)
        if offenders:
            uow.session.execute(insert(OffenceNoticeOwnerDriver), offenders)
        for extra in roles or []:
            uow.session.execute(insert(OffenceNoticeOwnerDriver), [extra])
        if changes:
            uow.session.execute(insert(ChangeOfProcessing), changes)
        uow.commit()


def change_today(no: str, source: str = "OCMS") -> dict:
    return {"notice_no": no, "date_of_change": business_time.today(), "last_processing_stage": "ROV",
            "new_processing_stage": "RD1", "source": source, "reason_of_change": "SUP", "authorised_officer": "x"}


def rows(db, model, **where):
    with db.session() as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        out = list(s.scalars(q))
        s.expunge_all()  # keep the loaded values after the read-only session rolls back
        return out


def body(notices, stage="RD2", reason="SUP", remarks=None, confirm=False):
    return {"noticeNumbers": list(notices), "newProcessingStage": stage, "reasonOfChange": reason,
            "remarks": remarks, "isConfirmation": confirm}


# ---- backend validation: every code, in the spec's order ---------------------------------------------------------
CASES = [
    # (notice, extra offenders, changes today, request stage, reason, remarks, expected code)
    ("N000000001", notice("N000000001"), None, None, "RD2", "SUP", None, "CHANGEABLE"),
    ("N000000002", None, None, None, "RD2", "SUP", None, "OCMS.CPS.ELIG.NOT_FOUND"),
    ("N000000003", notice("N000000003", role=None), None, None, "RD2", "SUP", None, "OCMS.CPS.ELIG.ROLE_CONFLICT"),
    ("N000000004", notice("N000000004", stage="CRT"), None, None, "RD2", "SUP", None, "OCMS.CPS.ELIG.COURT_STAGE"),
    ("N000000005", notice("N000000005", suspension="PS"), None, None, "RD2", "SUP", None, "OCMS.CPS.ELIG.PS_BLOCKED"),
    ("N000000006", notice("N000000006", stage="CSD"), None, None, "RD2", "SUP", None, "OCMS.CPS.ELIG.NO_STAGE_RULE"),
    ("N000000007", notice("N000000007", role="DRIVER"), None, None, "RD2", "SUP", None,
     "OCMS.CPS.ELIG.INELIGIBLE_STAGE"),
    ("N000000008", notice("N000000008"), None, [change_today("N000000008")], "RD2", "SUP", None,
     "OCMS.CPS.ELIG.EXISTING_CHANGE_TODAY"),
    # several failures: the first in §4.2 order is reported
    ("N000000010", notice("N000000010", role=None, stage="CRT", suspension="PS"), None, None, "RD2", "OTH", "Officer's note",
     "OCMS.CPS.ELIG.ROLE_CONFLICT"),
    ("N000000011", notice("N000000011", stage="CRT", suspension="PS"), None, None, "RD2", "OTH", "Officer's note",
     "OCMS.CPS.ELIG.COURT_STAGE"),
    ("N000000012", notice("N000000012", stage="CSD", suspension="PS", role="DRIVER"), None, None, "RD2", "OTH",
     "Officer's note", "OCMS.CPS.ELIG.PS_BLOCKED"),
    ("N000000013", notice("N000000013", stage="CSD", role="DRIVER"), None, [change_today("N000000013")], "RD2", "OTH",
     "Officer's note", "OCMS.CPS.ELIG.NO_STAGE_RULE"),
    ("N000000014", notice("N000000014", role="DRIVER"), None, [change_today("N000000014")], "RD2", "OTH", "Officer's note",
     "OCMS.CPS.ELIG.INELIGIBLE_STAGE"),
    ("N000000015", notice("N000000015"), None, [change_today("N000000015")], "RD2", "OTH", "Officer's note",
     "OCMS.CPS.ELIG.EXISTING_CHANGE_TODAY"),
    ("N000000016", notice("N000000016"),
     [{"notice_no": "N000000016", "owner_driver_indicator": "D", "is_current": "Y"}], None, "RD2", "SUP", None,
     "OCMS.CPS.ELIG.ROLE_CONFLICT"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[-1]}" for c in CASES])
@pytest.mark.parametrize("endpoint", ["validate", "submit"])
def test_each_code_in_the_spec_order(cps, cps_db, case, endpoint):
    no, n, extra_roles, changes, stage, reason, remarks, expected = case
    seed(cps_db, *([n] if n else []), roles=extra_roles, changes=changes)
    before = rows(cps_db, ValidOffenceNotice)
    r = cps.post(f"/v1/cps/{endpoint}", json=body([no], stage, reason, remarks), headers=OIC)
    assert r.status_code == 200, r.get_json()
    result = r.get_json()["results"][0]
    if expected == "CHANGEABLE":
        assert result["status"] == ("UPDATED" if endpoint == "submit" else "CHANGEABLE")
        return
    assert result["code"] == expected
    assert result["status"] == ("WARNING" if expected.endswith("EXISTING_CHANGE_TODAY") else "NOT_CHANGEABLE")
    # a refused notice changes nothing
    after = rows(cps_db, ValidOffenceNotice)
    assert [(x.notice_no, x.last_processing_stage, x.amount_payable) for x in after] == \
           [(x.notice_no, x.last_processing_stage, x.amount_payable) for x in before]
    assert len(rows(cps_db, ChangeOfProcessing)) == len(changes or [])


def test_existing_change_today_proceeds_once_confirmed(cps, cps_db):
    seed(cps_db, notice("N000000020"), changes=[change_today("N000000020")])
    r = cps.post("/v1/cps/submit", json=body(["N000000020"], confirm=True), headers=OIC).get_json()
    assert r["results"][0]["status"] == "UPDATED"
    assert len(rows(cps_db, ChangeOfProcessing, notice_no="N000000020")) == 2


def test_ps_block_switch_in_the_ruleset(cps_app, cps, cps_db):
    """§4.2 step 13 is configurable: switching ps_block off lets a PS notice change (after a reload)."""
    seed(cps_db, notice("N000000021", suspension="PS"))
    assert cps.post("/v1/cps/validate", json=body(["N000000021"]), headers=OIC).get_json()["results"][0]["code"] \
        == "OCMS.CPS.ELIG.PS_BLOCKED"
    rules = Path(cps_app.config["OCMS_RULES_DIR"]) / "cps_validation.yaml"
    rules.write_text(rules.read_text().replace("  ps_block: true", "  ps_block: false"))
    assert cps.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    assert cps.post("/v1/cps/validate", json=body(["N000000021"]), headers=OIC).get_json()["results"][0]["status"] \
        == "CHANGEABLE"


# ---- bad input ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("payload, field", [
    ({"newProcessingStage": "RD2", "reasonOfChange": "SUP"}, "noticeNumbers"),
    ({"noticeNumbers": [], "newProcessingStage": "RD2", "reasonOfChange": "SUP"}, "noticeNumbers"),
    ({"noticeNumbers": ["N1"], "newProcessingStage": "rd2x", "reasonOfChange": "SUP"}, "newProcessingStage"),
    ({"noticeNumbers": ["N1"], "newProcessingStage": "RD2"}, "reasonOfChange"),
    ({"noticeNumbers": ["N12345678901"], "newProcessingStage": "RD2", "reasonOfChange": "SUP"}, "noticeNumbers.0"),
    ({"noticeNumbers": ["N1"], "newProcessingStage": "RD2", "reasonOfChange": "SUP", "extra": 1}, "extra"),
])
def test_bad_change_payload_names_the_field(cps, cps_db, payload, field):
    seed(cps_db, notice("N000000030"))
    r = cps.post("/v1/cps/submit", json=payload, headers=OIC)
    assert r.status_code == 400
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000"
    assert field in [e["field"] for e in data["errors"]]
    assert rows(cps_db, ChangeOfProcessing) == []


def test_more_than_500_notices_is_413(cps):
    r = cps.post("/v1/cps/validate", json=body([f"N{i:09d}" for i in range(501)]), headers=OIC)
    assert r.status_code == 413 and r.get_json()["data"]["appCode"] == "OCMS-4013"


@pytest.mark.parametrize("headers, status", [({}, 401), (bearer("officer1", ("PLM",)), 403),
                                             (bearer("x", ("OIC",), secret="wrong" * 8), 401), (key("plus"), 401)])
def test_staff_portal_needs_an_oic_jwt(cps, headers, status):
    for path in ("/v1/cps/search", "/v1/cps/validate", "/v1/cps/submit"):
        r = cps.post(path, json={"noticeNo": "N1"}, headers=headers)
        assert r.status_code == status and r.get_json()["data"]["appCode"] == f"OCMS-4{status % 100:03d}"


# ---- search ---------------------------------------------------------------------------------------------------
def test_search_needs_a_criterion_val010(cps):
    r = cps.post("/v1/cps/search", json={}, headers=OIC)
    assert r.status_code == 400
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000"
    assert {e["field"] for e in data["errors"]} == {"noticeNo", "idNo", "vehicleNo", "currentProcessingStage",
                                                   "dateOfCurrentProcessingStage"}
    assert all("VAL010" in e["message"] for e in data["errors"])


def test_search_segregates_eligible_and_ineligible(cps, cps_db):
    seed(cps_db, notice("N000000040"), notice("N000000041", stage="CFI"), notice("N000000042", suspension="PS"),
         notice("N000000043", role="DRIVER", stage="DN1"))
    r = cps.post("/v1/cps/search", json={"currentProcessingStage": "RD1"}, headers=OIC).get_json()
    assert [n["noticeNo"] for n in r["eligible"]] == ["N000000040"]
    assert [(n["noticeNo"], n["reasonCode"]) for n in r["ineligible"]] == [("N000000042", "PS_ACTIVE")]
    assert r["eligible"][0]["eligibleStages"] == ["ROV", "RD1", "RD2", "RR3"]
    r = cps.post("/v1/cps/search", json={"idNo": "S0000041"}, headers=OIC).get_json()
    assert r["ineligible"][0]["reasonCode"] == "COURT_STAGE"
    today = (business_time.today() - dt.timedelta(days=5)).isoformat()
    r = cps.post("/v1/cps/search", json={"dateOfCurrentProcessingStage": today}, headers=OIC).get_json()
    assert r["total"] == 4
    r = cps.post("/v1/cps/search", json={"vehicleNo": "SBA0043"}, headers=OIC).get_json()
    assert r["eligible"][0]["eligibleStages"] == ["DN1", "DN2", "DR3"]


# ---- submit ------------------------------------------------------------------------------------------------
def test_submit_updates_notice_mirror_audit_and_reports(cps, cps_db):
    seed(cps_db, notice("N000000050"), notice("N000000051"), notice("N000000052", stage="CRT"))
    # N000000051 has no internet copy yet: the submit creates it
    with cps_db.unit_of_work() as uow:
        uow.session.execute(text("DELETE FROM eocms_valid_offence_notice WHERE notice_no = 'N000000051'"))
        uow.commit()
    r = cps.post("/v1/cps/submit", json=body(["N000000050", "N000000051", "N000000052"], "RR3", "OTH", "Appeal"),
                 headers=OIC)
    assert r.status_code == 200
    data = r.get_json()
    assert data["updated"] == 2 and data["notUpdated"] == 1
    assert data["changeable"] == ["N000000050", "N000000051"] and data["nonChangeable"] == ["N000000052"]
    for no in ("N000000050", "N000000051"):
        [von] = rows(cps_db, ValidOffenceNotice, notice_no=no)
        [mirror] = rows(cps_db, EValidOffenceNotice, notice_no=no)
        assert (von.prev_processing_stage, von.last_processing_stage, von.next_processing_stage) == ("RD1", "RR3", "CPC")
        assert von.prev_processing_date.date() == business_time.today() - dt.timedelta(days=5)
        assert von.last_processing_date.date() == business_time.today()
        assert (von.next_processing_date - von.last_processing_date).days == 21  # stage_map STAGE-MAP-RR3
        assert von.amount_payable == Decimal("90.00")  # 70.00 + RR3 surcharge 20.00 (placeholder)
        for col in ("prev_processing_stage", "last_processing_stage", "last_processing_date", "next_processing_stage",
                    "next_processing_date", "amount_payable"):
            assert getattr(mirror, col) == getattr(von, col), col
        [audit] = rows(cps_db, ChangeOfProcessing, notice_no=no)
        assert (audit.last_processing_stage, audit.new_processing_stage, audit.reason_of_change, audit.source,
                audit.authorised_officer, audit.remarks, audit.date_of_change) == \
               ("RD1", "RR3", "OTH", "OCMS", "officer1", "Appeal", business_time.today())
    assert len(rows(cps_db, DecisionLog, ruleset="cps_validation")) == 3
    # the report: stored, listed, downloaded, opened
    report = data["report"]
    assert report["url"] == f"/v1/cps/reports/{report['reportId']}"
    today = business_time.today().isoformat()
    listed = cps.get(f"/v1/cps/reports?startDate={today}&endDate={today}", headers=OIC).get_json()["reports"]
    assert [x["reportId"] for x in listed] == [report["reportId"]]
    dl = cps.get(report["url"], headers=OIC)
    assert dl.status_code == 200
    assert dl.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = openpyxl.load_workbook(io.BytesIO(dl.data)).active
    table = [list(r) for r in ws.iter_rows(values_only=True)]
    assert table[0] == ["Notice Number", "Previous Stage", "New Stage", "Date of Change", "Reason of Change",
                        "Authorised Officer", "Source", "Remarks", "Offender Name", "Vehicle Number"]
    assert table[1:] == [[no, "RD1", "RR3", dt.datetime.fromisoformat(today), "OTH", "officer1", "OCMS", "Appeal", f"Offender {no}",
                          f"SBA{no[-4:]}"] for no in ("N000000050", "N000000051")]
    assert ws.cell(2, 4).is_date and ws.cell(2, 4).number_format == "yyyy-mm-dd"


def test_submit_with_nothing_changeable_writes_nothing(cps, cps_db):
    seed(cps_db, notice("N000000060", stage="CRC"))
    data = cps.post("/v1/cps/submit", json=body(["N000000060", "N000000061"]), headers=OIC).get_json()
    assert data["updated"] == 0 and data["report"] is None
    assert rows(cps_db, ChangeOfProcessing) == [] and rows(cps_db, ReportFile) == []


def test_range_report_of_every_source(cps, cps_db):
    seed(cps_db, notice("N000000070"), changes=[change_today("N000000070", "PLUS"), change_today("N000000070", "SYSTEM")])
    today = business_time.today().isoformat()
    r = cps.post("/v1/cps/reports", json={"startDate": today, "endDate": today}, headers=OIC)
    assert r.status_code == 201 and r.get_json()["changes"] == 2
    ws = openpyxl.load_workbook(io.BytesIO(cps.get(r.get_json()["report"]["url"], headers=OIC).data)).active
    assert sorted(row[6] for row in ws.iter_rows(min_row=2, values_only=True)) == ["PLUS", "SYSTEM"]


@pytest.mark.parametrize("query, field", [
    ("startDate=2026-01-01&endDate=2026-04-01", None),            # 90 days: allowed
    ("startDate=2026-01-01&endDate=2026-04-02", "endDate"),       # 91 days
    ("startDate=2026-01-01", "endDate"),
    ("endDate=2026-01-01", "startDate"),
    ("startDate=2026-1-01&endDate=2026-01-02", "startDate"),
    ("startDate=01/01/2026&endDate=2026-01-02", "startDate"),
    ("startDate=2026-01-05&endDate=2026-01-02", "endDate"),
])
def test_report_range(cps, query, field):
    r = cps.get(f"/v1/cps/reports?{query}", headers=OIC)
    if field is None:
        assert r.status_code == 200 and r.get_json()["reports"] == []
    else:
        assert r.status_code == 400
        assert r.get_json()["data"]["appCode"] == "OCMS-4000"
        assert field in [e["field"] for e in r.get_json()["data"]["errors"]]


def test_report_range_limit_from_the_parameter(cps, cps_db):
    with cps_db.unit_of_work() as uow:
        uow.session.execute(text("INSERT INTO ocms_parameter (parameter_id, code, value, cre_date, cre_user_id) "
                                 "VALUES ('REPORT_RANGE_DAYS', 'CPS', '10', CURRENT_TIMESTAMP, 't')"))
        uow.commit()
    r = cps.get("/v1/cps/reports?startDate=2026-01-01&endDate=2026-01-12", headers=OIC)
    assert r.status_code == 400 and "10 days" in r.get_json()["data"]["message"]


def test_unknown_report_is_404(cps):
    r = cps.get("/v1/cps/reports/999", headers=OIC)
    assert r.status_code == 404 and r.get_json()["data"]["appCode"] == "OCMS-4004"


# ---- analysts change the role table and the stage map -------------------------------------------------------------
def test_analyst_edits_change_behaviour_after_reload(cps_app, cps, cps_db):
    seed(cps_db, notice("N000000080", role="HIRER", stage="RD1"), notice("N000000081", stage="RD2"))
    check = lambda no, stage: cps.post("/v1/cps/validate", json=body([no], stage), headers=OIC).get_json()["results"][0]
    assert check("N000000080", "DN1")["code"] == "OCMS.CPS.ELIG.INELIGIBLE_STAGE"
    assert check("N000000081", "ROV")["status"] == "CHANGEABLE"
    rules = Path(cps_app.config["OCMS_RULES_DIR"])
    catalogue = rules / "stage_catalogue.yaml"
    catalogue.write_text(catalogue.read_text().replace(
        "row: [role_eligible, HIRER, [ROV, RD1, RD2, RR3], ELIGIBLE",
        "row: [role_eligible, HIRER, [ROV, RD1, RD2, RR3, DN1], ELIGIBLE"))
    stage_map = rules / "stage_map.yaml"
    stage_map.write_text(stage_map.read_text().replace("row: [ROV, [NPA, RD1, RD2, RR3],", "row: [ROV, [NPA, RD1, RR3],"))
    # not yet reloaded: unchanged
    assert check("N000000080", "DN1")["code"] == "OCMS.CPS.ELIG.INELIGIBLE_STAGE"
    assert cps.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    assert check("N000000080", "DN1")["status"] == "CHANGEABLE"
    assert check("N000000081", "ROV")["code"] == "OCMS.CPS.ELIG.NO_STAGE_RULE"


# ---- PLUS ----------------------------------------------------------------------------------------------------
def plus_body(notices, last="RD1", nxt="RD2", offence="O", source="005", **extra):
    return {"noticeNo": list(notices), "lastStageName": last, "nextStageName": nxt, "offenceType": offence,
            "source": source, **extra}


def test_plus_success_and_failed_lists(cps, cps_db):
    seed(cps_db, notice("N000000090"), notice("N000000091", stage="RD2"), notice("N000000092", suspension="PS"))
    stage_date = dt.datetime.combine(business_time.today() - dt.timedelta(days=1), dt.time(10))
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"), json=plus_body(
        ["N000000090", "N000000091", "N000000092", "N000000093"], newStageDate=stage_date.isoformat()))
    assert r.status_code == 200
    data = r.get_json()
    assert data["message"] == "Partial success"
    assert [s["noticeNo"] for s in data["success"]] == ["N000000090"]
    assert {f["noticeNo"]: f["appCode"] for f in data["failed"]} == {
        "N000000091": "OCMS.CPS.ELIG.STAGE_MISMATCH", "N000000092": "OCMS.CPS.ELIG.PS_BLOCKED",
        "N000000093": "OCMS.CPS.ELIG.NOT_FOUND"}
    [von] = rows(cps_db, ValidOffenceNotice, notice_no="N000000090")
    assert von.last_processing_stage == "RD2" and von.last_processing_date == stage_date
    assert von.next_processing_date == stage_date + dt.timedelta(days=21) and von.amount_payable == Decimal("80.00")
    [audit] = rows(cps_db, ChangeOfProcessing)
    assert (audit.source, audit.authorised_officer) == ("PLUS", "PLUS")


def test_plus_cfc_is_4004_before_anything(cps, cps_db):
    seed(cps_db, notice("N000000094", stage="RR3"))
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"),
                 json=plus_body(["N000000094"], "RR3", "CFC", offence="U"))
    assert r.status_code == 404
    assert r.get_json()["data"]["appCode"] == "OCMS-4004"
    assert r.get_json()["data"]["errors"][0]["field"] == "nextStageName"
    assert rows(cps_db, ChangeOfProcessing) == []


def test_plus_offence_type_u_skips_without_processing(cps, cps_db):
    seed(cps_db, notice("N000000095", offence_notice_type="U"))
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"),
                 json=plus_body(["N000000095"], "RD1", "DN1", offence="U"))
    assert r.status_code == 200
    assert r.get_json()["success"][0]["status"] == "SKIPPED" and r.get_json()["failed"] == []
    assert rows(cps_db, ValidOffenceNotice)[0].last_processing_stage == "RD1"
    assert rows(cps_db, ChangeOfProcessing) == []


def test_plus_transition_not_in_stage_map_is_4000(cps, cps_db):
    seed(cps_db, notice("N000000096"))
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"), json=plus_body(["N000000096"], "RD1", "CSD"))
    assert r.status_code == 400
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000" and data["errors"][0]["field"] == "nextStageName"
    assert rows(cps_db, ChangeOfProcessing) == []


@pytest.mark.parametrize("payload, field", [
    (plus_body(["N1"], offence="X"), "offenceType"),
    ({k: v for k, v in plus_body(["N1"]).items() if k != "source"}, "source"),
    (plus_body(["N1"], newStageDate="yesterday"), "newStageDate"),
    (plus_body([]), "noticeNo"),
])
def test_plus_bad_payload(cps, payload, field):
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"), json=payload)
    assert r.status_code == 400 and field in [e["field"] for e in r.get_json()["data"]["errors"]]


def test_plus_needs_the_plus_key(cps):
    for headers in ({}, key("cas"), OIC):
        r = cps.post("/v1/plus/changeProcessingStage", headers=headers, json=plus_body(["N1"]))
        assert r.status_code == 401


# ---- Toppan --------------------------------------------------------------------------------------------------
def mixed_batch(cps_db):
    seed(cps_db,
         notice("T000000001", stage="ROV"), notice("T000000002", stage="ROV"),            # automatic
         notice("T000000003", stage="ROV"), notice("T000000004", stage="ROV"),            # manual (OCMS, PLUS)
         notice("T000000005", stage="RD2"),                                                # stage mismatch
         notice("T000000006", stage="ROV"),                                                # SYSTEM change: automatic
         changes=[change_today("T000000003", "OCMS"), change_today("T000000004", "PLUS"),
                  change_today("T000000006", "SYSTEM")])
    return {"batchId": "B1", "currentStage": "ROV", "newStage": "RD1",
            "noticeNumbers": [f"T00000000{i}" for i in range(1, 8)]}                     # T..7: not found


def test_toppan_mixed_batch_and_idempotent(cps, cps_db):
    batch = mixed_batch(cps_db)
    with cps_db.unit_of_work() as uow:  # the manual changes already set an amount: Toppan must keep it
        uow.session.execute(text("UPDATE ocms_valid_offence_notice SET amount_payable = 5.00 "
                                 "WHERE notice_no IN ('T000000003', 'T000000004')"))
        uow.commit()
    r = cps.post("/v1/internal/toppan/changeProcessingStage", headers=TOPPAN_KEY, json=batch)
    assert r.status_code == 200
    stats = r.get_json()
    assert {k: stats[k] for k in ("totalNotices", "automaticUpdates", "manualUpdates", "skipped", "success")} == \
           {"totalNotices": 7, "automaticUpdates": 3, "manualUpdates": 2, "skipped": 2, "success": True}
    assert sorted(e.split(":")[0] for e in stats["errors"]) == ["T000000005", "T000000007"]
    von = {v.notice_no: v for v in rows(cps_db, ValidOffenceNotice)}
    for no in ("T000000001", "T000000002", "T000000006"):
        assert (von[no].last_processing_stage, von[no].amount_payable) == ("RD1", Decimal("70.00"))
    for no in ("T000000003", "T000000004"):
        assert (von[no].last_processing_stage, von[no].amount_payable) == ("RD1", Decimal("5.00"))
    assert von["T000000005"].last_processing_stage == "RD2"
    assert all(v.next_processing_stage == "RD2" for n, v in von.items() if n != "T000000005")
    system = rows(cps_db, ChangeOfProcessing, source="SYSTEM", new_processing_stage="RD1")
    assert len(system) == 6  # 5 updates + the SYSTEM change given
    # the same batch again: every notice is now at RD1, nothing changes
    snapshot = [(v.notice_no, v.last_processing_stage, v.amount_payable, v.upd_date) for v in rows(cps_db, ValidOffenceNotice)]
    again = cps.post("/v1/internal/toppan/changeProcessingStage", headers=TOPPAN_KEY, json=batch).get_json()
    assert (again["automaticUpdates"], again["manualUpdates"], again["skipped"]) == (0, 0, 7)
    assert [(v.notice_no, v.last_processing_stage, v.amount_payable, v.upd_date)
            for v in rows(cps_db, ValidOffenceNotice)] == snapshot
    assert len(rows(cps_db, ChangeOfProcessing, source="SYSTEM")) == 6


@pytest.mark.parametrize("payload, field", [
    ({"currentStage": "ROV", "newStage": "ROV", "noticeNumbers": ["T1"]}, "newStage"),
    ({"currentStage": "ROV", "noticeNumbers": ["T1"]}, "newStage"),
    ({"currentStage": "ROV", "newStage": "RD1", "noticeNumbers": "T1"}, "noticeNumbers"),
])
def test_toppan_bad_payload(cps, payload, field):
    r = cps.post("/v1/internal/toppan/changeProcessingStage", headers=TOPPAN_KEY, json=payload)
    assert r.status_code == 400 and field in [e["field"] for e in r.get_json()["data"]["errors"]]


def test_toppan_needs_the_toppan_key(cps):
    r = cps.post("/v1/internal/toppan/changeProcessingStage", headers=key("plus"),
                 json={"currentStage": "ROV", "newStage": "RD1", "noticeNumbers": ["T1"]})
    assert r.status_code == 401


def test_toppan_job_reads_the_run_key_folder(cps_app, cps_db, runner, tmp_path):
    batch = mixed_batch(cps_db)
    folder = tmp_path / "toppan" / "2026-01-18"
    folder.mkdir(parents=True)
    (folder / "rov-rd1.json").write_text(json.dumps([batch]))
    env = {"OCMS_TOPPAN_DIR": str(tmp_path / "toppan"), "OCMS_DATABASE_URL": cps_app.config["OCMS_DATABASE_URL"]}
    out = runner.invoke(["jobs", "run", "toppan-cps", "--key", "2026-01-18"], env=env)
    assert out.exit_code == 0, out.output + out.stderr
    assert '"automaticUpdates": 3' in out.output and '"manualUpdates": 2' in out.output
    out = runner.invoke(["jobs", "run", "toppan-cps", "--key", "2026-01-18", "--force"], env=env)
    assert out.exit_code == 0 and '"skipped": 7' in out.output
    assert len(rows(cps_db, ChangeOfProcessing, source="SYSTEM")) == 6


def test_stage_map_sync_derives_the_database_copy(cps_app, cps_db, runner):
    from repository.models import Parameter, StageMap
    from repository.seed import seed_reference
    from repository.seed_data import stage_map_pairs
    with cps_db.unit_of_work() as uow:
        seed_reference(uow.session)
        uow.commit()

    def stage_params():
        return {(p.parameter_id, p.code): p.value for p in rows(cps_db, Parameter)
                if p.parameter_id in ("NEXT_STAGE", "STAGEDAYS")}

    seeded = stage_params()
    out = runner.invoke(["jobs", "run", "cps-stage-map-sync"])
    assert out.exit_code == 0, out.output + out.stderr
    pairs = sorted((m.last_processing_stage, m.next_processing_stage) for m in rows(cps_db, StageMap))
    assert pairs == sorted(stage_map_pairs())  # the repository's seed copy has the YAML's moves
    params = stage_params()
    assert params == seeded  # ... and its next stages and stage days: no drift between the seed and the YAML
    assert params[("NEXT_STAGE", "RD1")] == "RD2" and params[("STAGEDAYS", "RR3")] == "21"
    assert params[("NEXT_STAGE", "NPA")] == "ROV" and params[("STAGEDAYS", "NPA")] == "2"  # row STAGE-MAP-NPA
