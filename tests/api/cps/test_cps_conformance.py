"""OCMS 15 conformance (issue 11): field checks up front, blank criteria, identity, PLUS stage dates and
answers, Toppan per-notice errors in the endpoint and the job, typed Excel cells."""
from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from sqlalchemy import select

from repository import business_time
from repository.models import ChangeOfProcessing, ReportFile, ValidOffenceNotice
from tests.api.cps.test_api import OIC, TOPPAN_KEY, body, change_today, mixed_batch, notice, plus_body, rows, seed
from tests.conftest import key


def stages(db) -> dict[str, str]:
    return {v.notice_no: v.last_processing_stage for v in rows(db, ValidOffenceNotice)}


# ---- §5.4: the reason of change is a field check of the request ------------------------------------------------
@pytest.mark.parametrize("endpoint", ["validate", "submit"])
@pytest.mark.parametrize("remarks", [None, "", "   ", "\t\n"])
def test_oth_without_remarks_is_refused_up_front_even_when_confirmed(cps, cps_db, endpoint, remarks):
    # An existing change today used to hide the missing remarks behind the EXISTING_CHANGE_TODAY warning.
    seed(cps_db, notice("N000000101"), changes=[change_today("N000000101")])
    before = stages(cps_db)
    for confirm in (False, True):
        r = cps.post(f"/v1/cps/{endpoint}", json=body(["N000000101"], reason="OTH", remarks=remarks, confirm=confirm),
                     headers=OIC)
        assert r.status_code == 400, r.get_json()
        data = r.get_json()["data"]
        assert data["appCode"] == "OCMS-4000"
        assert data["errors"] == [{"field": "remarks", "message": "Remarks are mandatory when the reason is OTH",
                                   "code": "OCMS.CPS.REMARKS_REQUIRED"}]
    assert stages(cps_db) == before and len(rows(cps_db, ChangeOfProcessing)) == 1


@pytest.mark.parametrize("reason", ["ZZZ", "OT", "X", "123"])
def test_unknown_reason_code_is_refused_naming_the_field(cps, cps_db, reason):
    seed(cps_db, notice("N000000102"))
    for endpoint in ("validate", "submit"):
        r = cps.post(f"/v1/cps/{endpoint}", json=body(["N000000102"], reason=reason, remarks="note"), headers=OIC)
        assert r.status_code == 400
        [err] = r.get_json()["data"]["errors"]
        assert (err["field"], err["code"]) == ("reasonOfChange", "OCMS.CPS.INVALID_REASON")
    assert stages(cps_db) == {"N000000102": "RD1"}


def test_reason_stage_and_notice_number_in_any_case_and_spacing(cps, cps_db):
    seed(cps_db, notice("N000000103"))
    r = cps.post("/v1/cps/submit", headers=OIC, json={
        "noticeNumbers": [" n000000103 ", "N000000103"], "newProcessingStage": "rd2", "reasonOfChange": " oth",
        "remarks": "Appeal granted"})
    assert r.status_code == 200, r.get_json()
    [result] = r.get_json()["results"]  # the two spellings are one notice
    assert (result["noticeNo"], result["status"], result["newStage"]) == ("N000000103", "UPDATED", "RD2")
    [audit] = rows(cps_db, ChangeOfProcessing)
    assert (audit.reason_of_change, audit.new_processing_stage) == ("OTH", "RD2")


def test_plus_reason_is_checked_when_sent(cps, cps_db):
    seed(cps_db, notice("N000000104"))
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"),
                 json=plus_body(["N000000104"], reasonOfChange="oth"))
    assert r.status_code == 400 and r.get_json()["data"]["errors"][0]["field"] == "remarks"
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"), json=plus_body(["N000000104"]))
    assert r.status_code == 200 and r.get_json()["message"] == "Success"


# ---- §5.3 / VAL010: blank criteria are no criteria ------------------------------------------------------------
@pytest.mark.parametrize("criteria", [
    {}, {"noticeNo": "   "}, {"vehicleNo": "\t"}, {"idNo": " ", "currentProcessingStage": ""},
    {"noticeNo": None, "vehicleNo": "  "}, {"dateOfCurrentProcessingStage": None},
    {"vehicleNo": "\u200b"}, {"vehicleNo": "\ufeff \u200b\u3000"}, {"noticeNo": "\u200b", "idNo": "\u2060"},
])
def test_blank_search_criteria_do_not_count(cps, criteria):
    r = cps.post("/v1/cps/search", headers=OIC, json=criteria)
    assert r.status_code == 400
    fields = {e["field"] for e in r.get_json()["data"]["errors"]}
    assert fields == {"noticeNo", "idNo", "vehicleNo", "currentProcessingStage", "dateOfCurrentProcessingStage"}
    assert all(e["message"].startswith("VAL010") for e in r.get_json()["data"]["errors"])


@pytest.mark.parametrize("sent", ["sba0105", " SBA 0105 ", "SBA0105", "s b a 0 1 0 5", "\u200bSBA0105", "ＳＢＡ０１０５",
                                  "sba\ufeff0105"])
def test_search_by_vehicle_in_any_case_and_spacing(cps, cps_db, sent):
    seed(cps_db, notice("N000000105"))
    r = cps.post("/v1/cps/search", headers=OIC, json={"vehicleNo": sent, "noticeNo": "  "})
    assert r.status_code == 200, r.get_json()
    assert [n["noticeNo"] for n in r.get_json()["eligible"]] == ["N000000105"]


def test_search_by_stage_and_notice_number_in_lower_case(cps, cps_db):
    seed(cps_db, notice("N000000106"))
    r = cps.post("/v1/cps/search", headers=OIC, json={"noticeNo": "n000000106", "currentProcessingStage": "rd1"})
    assert [n["noticeNo"] for n in r.get_json()["eligible"]] == ["N000000106"]


# ---- §6: PLUS newStageDate and the answer's message -------------------------------------------------------------
def _plus(cps, notices, stage_date):
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"),
                 json=plus_body(notices, newStageDate=stage_date.isoformat()))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_plus_stage_date_before_the_previous_stage_date_is_refused(cps, cps_db):
    seed(cps_db, notice("N000000110"))  # last_processing_date: 5 days ago
    data = _plus(cps, ["N000000110"], dt.datetime(2020, 1, 1))
    assert data["message"] == "Failed" and data["success"] == []
    assert data["failed"] == [{"noticeNo": "N000000110", "appCode": "OCMS.CPS.ELIG.STAGE_DATE_BEFORE_PREVIOUS",
                               "message": "newStageDate is before the notice's current stage date"}]
    assert stages(cps_db) == {"N000000110": "RD1"} and rows(cps_db, ChangeOfProcessing) == []


def test_plus_stage_date_that_makes_the_next_stage_overdue_is_refused(cps, cps_db):
    now = business_time.now()
    seed(cps_db, notice("N000000111", last_processing_date=now - dt.timedelta(days=60)))
    # RD2 lasts 21 days (stage_map): a stage date 22 days ago would make RR3 due yesterday
    data = _plus(cps, ["N000000111"], now - dt.timedelta(days=22))
    assert data["failed"][0]["appCode"] == "OCMS.CPS.ELIG.NEXT_STAGE_OVERDUE"
    data = _plus(cps, ["N000000111"], now - dt.timedelta(days=20))
    assert data["message"] == "Success"
    [von] = rows(cps_db, ValidOffenceNotice)
    assert von.next_processing_date > business_time.now()


def test_plus_stage_date_after_today_is_refused(cps, cps_db):
    seed(cps_db, notice("N000000112"))
    tomorrow = dt.datetime.combine(business_time.today() + dt.timedelta(days=1), dt.time(0, 0, 1))
    assert _plus(cps, ["N000000112"], tomorrow)["failed"][0]["appCode"] == "OCMS.CPS.ELIG.STAGE_DATE_IN_FUTURE"


def test_plus_stage_date_with_an_offset_is_business_time(cps, cps_db):
    seed(cps_db, notice("N000000113"))
    sent = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(hours=1)
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"),
                 json=plus_body(["N000000113"], newStageDate=sent.isoformat()))
    assert r.get_json()["message"] == "Success", r.get_json()
    [von] = rows(cps_db, ValidOffenceNotice)
    assert von.last_processing_date == sent.astimezone(business_time.business_zone()).replace(tzinfo=None)


def test_plus_all_failed_is_not_partial_success(cps, cps_db):
    seed(cps_db, notice("N000000114", stage="RD2"))
    r = cps.post("/v1/plus/changeProcessingStage", headers=key("plus"), json=plus_body(["N000000114", "N000000115"]))
    data = r.get_json()
    assert r.status_code == 200 and data["message"] == "Failed" and data["success"] == []
    assert {f["noticeNo"] for f in data["failed"]} == {"N000000114", "N000000115"}


@pytest.mark.parametrize("succeeded, failed, message", [(1, 0, "Success"), (2, 1, "Partial success"),
                                                         (0, 3, "Failed"), (0, 0, "Success")])
def test_plus_outcome_message(succeeded, failed, message):
    from api.cps.plus import outcome_message
    assert outcome_message(succeeded, failed) == message


# ---- §7: Toppan counts what it received, and problems are per notice ---------------------------------------------
def test_toppan_total_counts_every_entry_received(cps, cps_db):
    batch = mixed_batch(cps_db)
    batch["noticeNumbers"].append("t000000001")  # 8 entries, the last a repeat of the first (lower case)
    stats = cps.post("/v1/internal/toppan/changeProcessingStage", headers=TOPPAN_KEY, json=batch).get_json()
    assert {k: stats[k] for k in ("totalNotices", "automaticUpdates", "manualUpdates", "skipped")} == \
           {"totalNotices": 8, "automaticUpdates": 3, "manualUpdates": 2, "skipped": 3}
    assert "T000000001: DUPLICATE listed more than once in the batch (applied once)" in stats["errors"]
    assert len(rows(cps_db, ChangeOfProcessing, source="SYSTEM", notice_no="T000000001")) == 1


@pytest.mark.parametrize("bad", ["12345678901", "T-0001", "", "   ", 123, None, True, {"no": "T1"}, ["T1"],
                                 "T00000\u00e90001"])
def test_toppan_malformed_entry_is_a_per_notice_error(cps, cps_db, bad):
    seed(cps_db, notice("T000000020", stage="ROV"), notice("T000000021", stage="ROV"))
    batch = {"batchId": "B2", "currentStage": "ROV", "newStage": "RD1",
             "noticeNumbers": ["T000000020", bad, " t000000021 "]}
    r = cps.post("/v1/internal/toppan/changeProcessingStage", headers=TOPPAN_KEY, json=batch)
    assert r.status_code == 200, r.get_json()
    stats = r.get_json()
    assert (stats["totalNotices"], stats["automaticUpdates"], stats["skipped"], stats["success"]) == (3, 2, 1, True)
    [error] = stats["errors"]
    assert error.startswith("noticeNumbers.1 ") and "MALFORMED" in error
    assert stages(cps_db) == {"T000000020": "RD1", "T000000021": "RD1"}


def test_toppan_job_skips_a_bad_file_and_applies_the_others(cps_app, cps_db, runner, tmp_path):
    batch = mixed_batch(cps_db)
    batch["noticeNumbers"].append("NOT-A-NUMBER")
    folder = tmp_path / "toppan" / "2026-01-18"
    folder.mkdir(parents=True)
    (folder / "a-broken.json").write_text('{"batchId": "X", "currentStage": ')          # not JSON
    (folder / "b-refused.json").write_text(json.dumps({"newStage": "RD1", "noticeNumbers": ["T000000001"]}))
    (folder / "c-binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (folder / "d-good.json").write_text(json.dumps([batch]))
    env = {"OCMS_TOPPAN_DIR": str(tmp_path / "toppan"), "OCMS_DATABASE_URL": cps_app.config["OCMS_DATABASE_URL"]}
    out = runner.invoke(["jobs", "run", "toppan-cps", "--key", "2026-01-18"], env=env)
    assert out.exit_code == 0, out.output + out.stderr
    result = json.loads(out.output)
    assert result["status"] == "SUCCESS"
    counts = result["counts"]
    assert (counts["batches"], counts["badBatches"], counts["totalNotices"], counts["automaticUpdates"],
            counts["manualUpdates"], counts["skipped"]) == (1, 3, 8, 3, 2, 3)
    errors = counts["errors"]
    assert [e.split(":")[0] for e in errors[:3]] == ["a-broken.json", "b-refused.json[0]", "c-binary.json"]
    assert "currentStage" in errors[1]
    assert any(e.startswith("d-good.json[0]: noticeNumbers.7 ") and "MALFORMED" in e for e in errors)
    assert stages(cps_db)["T000000001"] == "RD1"


# ---- issue 11 review item 10: a batch of which nothing applied is not a success; an empty file is refused ----
def test_toppan_all_skipped_is_not_a_success(cps, cps_db):
    seed(cps_db, notice("T000000030", stage="RD2"))            # not at currentStage ROV: skipped
    batch = {"batchId": "B3", "currentStage": "ROV", "newStage": "RD1",
             "noticeNumbers": ["T000000030", "T-BAD", "T000000099"]}
    r = cps.post("/v1/internal/toppan/changeProcessingStage", headers=TOPPAN_KEY, json=batch)
    assert r.status_code == 200, r.get_json()
    stats = r.get_json()
    assert (stats["totalNotices"], stats["automaticUpdates"], stats["manualUpdates"], stats["skipped"]) == (3, 0, 0, 3)
    assert stats["success"] is False and "all 3 skipped" in stats["message"] and len(stats["errors"]) == 3


@pytest.mark.parametrize("content", ["[]", " [ ] "])
def test_toppan_job_refuses_an_empty_batch_file(cps_app, cps_db, runner, tmp_path, content):
    folder = tmp_path / "toppan" / "2026-01-18"
    folder.mkdir(parents=True)
    (folder / "empty.json").write_text(content)
    env = {"OCMS_TOPPAN_DIR": str(tmp_path / "toppan"), "OCMS_DATABASE_URL": cps_app.config["OCMS_DATABASE_URL"]}
    out = runner.invoke(["jobs", "run", "toppan-cps", "--key", "2026-01-18"], env=env)
    counts = json.loads(out.output)["counts"]
    assert (counts["batches"], counts["badBatches"], counts["errorCount"]) == (0, 1, 1)
    assert counts["errors"][0].startswith("empty.json: holds no batch")


# ---- §8.4: typed cells ------------------------------------------------------------------------------------------
def test_cps_report_dates_are_date_cells(cps, cps_db):
    seed(cps_db, notice("N000000120"))
    r = cps.post("/v1/cps/submit", json=body(["N000000120"], reason="SUP"), headers=OIC).get_json()
    report = cps.get(r["report"]["url"], headers=OIC)
    ws = openpyxl.load_workbook(io.BytesIO(report.data)).active
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("Date of Change") + 1)
    assert cell.data_type == "d" and cell.value.date() == business_time.today()
    assert cell.number_format == "yyyy-mm-dd"
    with cps_db.session() as s:
        assert s.scalar(select(ReportFile.created_at)).date() == business_time.today()
