"""The Classified Vehicle Notices Report (OCMS 14 tab 6): CAS over loopback, the workbook read back with openpyxl,
the counts checked against the spec's SQL, the email received by the SMTP simulator."""
from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, text

from api.jobs import run_job
from repository.models import Carpark, ReportFile, SuspendedNotice, ValidOffenceNotice
from simulators.cas import CasSimulator

JOB = "classified-vehicle-report"
DAY = "2026-01-15"
OICS = ["oic1@example.com", "oic2@example.com"]
ADMIN = "admin@example.com"
VIP = [
    {"vehicleNo": "SVIP001A", "description": "VIP 1", "status": "ACTIVE", "vipLabelStatus": "VALID",
     "labelExpiryDate": "2026-12-31"},
    {"vehicleNo": "SVIP002B", "description": "VIP 2", "status": "ACTIVE", "vipLabelStatus": "EXPIRED",
     "labelExpiryDate": "2025-12-31"},
    {"vehicleNo": "SVIP003C", "description": "VIP 3", "status": "INACTIVE", "vipLabelStatus": "VALID",
     "labelExpiryDate": "2026-06-30"},
]
DETAIL = ["S/N", "Notice No", "Vehicle No", "Notice Date", "Offence Code", "Place of Offence",
          "Composition Amount ($)", "Amount Payable ($)", "Payment Status", "Suspension Type", "Suspension Reason"]
AMENDED = ["S/N", "Notice No", "Vehicle No", "Notice Date", "Original Type", "Amended Type",
           "Suspension Date (TS-CLV)", "Revival Date (TS-CLV)", "Place of Offence", "Composition Amount ($)",
           "Amount Payable ($)"]


def notice(no, vehicle, vtype="V", day=1, crs=None, stype=None, epr=None, pp="A0001", payable="70.00"):
    return {"notice_no": no, "vehicle_no": vehicle, "notice_date_and_time": dt.datetime(2026, 1, day, 9, 30),
            "offence_notice_type": "O", "vehicle_registration_type": vtype, "computer_rule_code": 10100 + day,
            "composition_amount": Decimal("70.00"), "amount_payable": Decimal(payable) if payable else None,
            "pp_code": pp, "pp_name": "name on the notice", "crs_reason_of_suspension": crs, "suspension_type": stype,
            "epr_reason_of_suspension": epr, "cre_date": dt.datetime(2026, 1, day, 9, 31), "cre_user_id": "t"}


def clv(no, sr, suspended_day, revived_day):
    return {"notice_no": no, "date_of_suspension": dt.datetime(2026, 1, suspended_day, 23, 0), "sr_no": sr,
            "suspension_type": "TS", "reason_of_suspension": "CLV",
            "date_of_revival": dt.datetime(2026, 1, revived_day, 0, 5) if revived_day else None,
            "cre_date": dt.datetime(2026, 1, suspended_day), "cre_user_id": "t"}


@pytest.fixture
def data(db):
    notices = [
        notice("V000000001", "SVIP001A", day=2),                                        # outstanding
        notice("V000000002", "SVIP001A", day=3, crs="FP", stype="PS"),                  # settled
        notice("V000000003", "SVIP002B", day=4, stype="TS", epr="CLV", pp="B0002"),     # outstanding, TS-CLV
        notice("V000000004", "SVIP002B", day=5, crs="PRA", stype="PS", pp="Z9999", payable=None),  # settled
        notice("V000000005", "SVIP003C", day=6),                                        # inactive VIP: not reported
        notice("S000000001", "SKA1111A", vtype="S", day=7),                             # ordinary notice
        notice("S000000002", "SVIP001A", vtype="S", day=8),                             # amended V->S, two loops
        notice("S000000003", "SKB2222B", vtype="S", day=9),                             # amended V->S, one loop
        notice("S000000004", "SKC3333C", vtype="S", day=10),                            # CLV not revived: not amended
        notice("V000000006", "SVIP002B", day=11),                                       # CLV revived but still V
    ]
    with db.engine.begin() as c:
        c.execute(insert(Carpark), [{"pp_code": "A0001", "pp_name": "Ang Mo Kio Ave 3 Car Park", "cre_user_id": "t",
                                     "cre_date": dt.datetime(2026, 1, 1)},
                                    {"pp_code": "B0002", "pp_name": "=HYPERLINK(\"http://x\",\"click\")",
                                     "cre_user_id": "t", "cre_date": dt.datetime(2026, 1, 1)}])
        c.execute(insert(ValidOffenceNotice), notices)
        c.execute(insert(SuspendedNotice), [clv("S000000002", 1, 8, 9), clv("S000000002", 2, 10, 12),
                                            clv("S000000003", 1, 9, 10), clv("S000000004", 1, 10, None),
                                            clv("V000000006", 1, 11, 12)])
    return notices


@pytest.fixture
def cas():
    with CasSimulator(vehicles=VIP) as sim:
        yield sim


@pytest.fixture
def env(monkeypatch, cas, smtp, tmp_path, app):
    settings = {
        "OCMS_CAS_URL": cas.url, "OCMS_HTTP_TIMEOUT": "2", "OCMS_HTTP_RETRIES": "2", "OCMS_HTTP_BACKOFF": "0.01",
        "OCMS_SMTP_HOST": smtp.host, "OCMS_SMTP_PORT": str(smtp.port), "OCMS_ALERT_FROM": "ocms@example.com",
        "OCMS_ALERT_TO": ADMIN, "OCMS_CLASSIFIED_REPORT_TO": ",".join(OICS),
        "OCMS_REPORT_DIR": app.config["OCMS_REPORT_DIR"],
    }
    for k, v in settings.items():
        monkeypatch.setenv(k, v)
    return settings


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(OCMS_REPORT_DIR=str(tmp_path / "reports"))


def report_mails(smtp, n=1):
    return [m for m in smtp.wait_for(n) if m.recipients == tuple(OICS)]


def workbook(blob: bytes):
    return load_workbook(io.BytesIO(blob))


def rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def spec_counts(db) -> dict:
    """The spec's own SQL (tab 6 steps 2, 5, 10, 11 and 'Amended Notices'), run bare."""
    with db.engine.connect() as c:
        vip = [r[0] for r in c.execute(text("SELECT vehicle_no FROM ocms_vip_vehicle WHERE status = 'ACTIVE'"))]
        found = c.execute(text(
            "SELECT von.notice_no, von.crs_reason_of_suspension FROM ocms_valid_offence_notice von "
            "LEFT JOIN ocms_carpark pp ON von.pp_code = pp.pp_code WHERE von.vehicle_no IN ("
            "SELECT vehicle_no FROM ocms_vip_vehicle WHERE status = 'ACTIVE')")).all()
        amended = {r[0] for r in c.execute(text(
            "SELECT von.notice_no FROM ocms_valid_offence_notice von JOIN ocms_suspended_notice sn "
            "ON von.notice_no = sn.notice_no WHERE sn.reason_of_suspension = 'CLV' "
            "AND sn.date_of_revival IS NOT NULL AND von.vehicle_registration_type = 'S'"))}
    outstanding = sum(1 for _, crs in found if crs is None)
    return {"vip": len(vip), "total": len(found), "outstanding": outstanding, "settled": len(found) - outstanding,
            "amended": len(amended), "notices": sorted(n for n, _ in found), "amendedNotices": sorted(amended)}


def test_the_report_has_the_spec_sheets_columns_and_counts_and_is_emailed(db, data, env, smtp, client, bearer):
    outcome = run_job(db, JOB, DAY)
    assert outcome["status"] == "SUCCESS", outcome
    counts = outcome["counts"]
    assert counts["cas"] == "REFRESHED" and counts["emailSent"] is True and counts["recipients"] == 2
    expected = spec_counts(db)
    # the data is what we meant: step 5 takes every notice of an active VIP vehicle (the spec's SQL has no type
    # filter), so S000000002 - amended to S, vehicle still on the list - is among them
    assert expected["vip"] == 2 and expected["total"] == 6 and expected["amended"] == 2
    assert "S000000002" in expected["notices"]
    assert {k: counts[k] for k in ("total", "outstanding", "settled", "amended")} == {
        k: expected[k] for k in ("total", "outstanding", "settled", "amended")}

    [mail] = report_mails(smtp)
    assert mail.subject == "Classified Vehicle Notices Report 15/01/2026"
    assert "Total Notices Issued (Type V): 6" in mail.body and "Outstanding Notices (Unpaid):  4" in mail.body
    [attachment] = mail.attachments
    name, content_type, blob = attachment.filename, attachment.content_type, attachment.data
    assert name.startswith("Classified_Vehicle_Report_20260115_") and name.endswith(".xlsx")
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    wb = workbook(blob)
    assert wb.sheetnames == ["Summary", "Type V Notices Detail", "Amended Notices (V→S)"]
    summary = rows(wb["Summary"])
    assert summary == [["Field", "Value"], ["Report Date", dt.datetime(2026, 1, 15)],
                       ["Total Notices Issued (Type V)", 6], ["Outstanding Notices (Unpaid)", 4],
                       ["Settled Notices (Paid)", 2], ["Notices Amended (V→S)", 2]]

    detail = rows(wb["Type V Notices Detail"])
    assert detail[0] == DETAIL
    assert sorted(r[1] for r in detail[1:]) == expected["notices"]
    assert [r[0] for r in detail[1:]] == [1, 2, 3, 4, 5, 6]
    by_no = {r[1]: r for r in detail[1:]}
    assert by_no["V000000001"] == [by_no["V000000001"][0], "V000000001", "SVIP001A", dt.datetime(2026, 1, 2, 9, 30),
                                   10102, "Ang Mo Kio Ave 3 Car Park", 70, 70, "Outstanding", None, None]
    assert by_no["V000000002"][8:] == ["Settled", "PS", None]
    assert by_no["V000000003"][5] == "=HYPERLINK(\"http://x\",\"click\")" and by_no["V000000003"][8:] == [
        "Outstanding", "TS", "CLV"]
    assert by_no["V000000004"][5] == "name on the notice" and by_no["V000000004"][7] is None   # no car park row
    ws = wb["Type V Notices Detail"]
    [looks_like_formula] = [c for row in ws.iter_rows() for c in row if str(c.value).startswith("=")]
    assert looks_like_formula.data_type == "s"                    # a formula-looking name stays text
    assert ws["D2"].is_date and ws["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["G2"].data_type == "n" and ws["G2"].number_format == "#,##0.00"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)

    amended = rows(wb["Amended Notices (V→S)"])
    assert amended[0] == AMENDED
    assert sorted(r[1] for r in amended[1:]) == expected["amendedNotices"] == ["S000000002", "S000000003"]
    two_loops = next(r for r in amended[1:] if r[1] == "S000000002")
    assert two_loops[2:] == ["SVIP001A", dt.datetime(2026, 1, 8, 9, 30), "V (VIP)", "S (Singapore)",
                             dt.datetime(2026, 1, 10, 23, 0), dt.datetime(2026, 1, 12, 0, 5),
                             "Ang Mo Kio Ave 3 Car Park", 70, 70]          # the latest revived TS-CLV

    # kept in the report store, downloadable by id; the run is recorded
    report_id = counts["reportId"]
    r = client.get(f"/v1/vip/reports/classified/{report_id}", headers=bearer(roles=("OIC",)))
    assert r.status_code == 200 and r.data == blob and r.headers["X-Report-Id"] == str(report_id)
    listed = client.get("/v1/vip/reports/classified", headers=bearer()).get_json()["reports"]
    assert listed[0]["reportId"] == report_id and listed[0]["emailSent"] is True and listed[0]["total"] == 6
    assert client.get(f"/v1/vip/reports/classified/{report_id}").status_code == 401
    assert client.get("/v1/vip/reports/classified/999999", headers=bearer()).status_code == 404
    with db.engine.connect() as c:
        run = c.execute(text("SELECT status, counts FROM ocms_batch_job_run WHERE job_name = :j"), {"j": JOB}).one()
    assert run[0] == "SUCCESS"
    assert (json.loads(run[1]) if isinstance(run[1], str) else run[1])["reportId"] == report_id
    # the VIP list was refreshed from CAS with its label status and expiry date
    with db.engine.connect() as c:
        assert c.execute(text("SELECT vehicle_no, vip_label_status, label_expiry_date FROM ocms_vip_vehicle "
                              "ORDER BY vehicle_no")).first()[:2] == ("SVIP001A", "VALID")


def test_no_active_vip_vehicle_still_sends_an_empty_report(db, data, env, cas, smtp):
    cas.set_vehicles([{**v, "status": "INACTIVE"} for v in VIP])
    outcome = run_job(db, JOB, DAY)
    assert outcome["status"] == "SUCCESS" and outcome["counts"]["total"] == 0
    [mail] = report_mails(smtp)
    assert "No active VIP vehicle was found" in mail.body
    wb = workbook(mail.attachments[0].data)
    assert rows(wb["Summary"])[2:5] == [["Total Notices Issued (Type V)", 0], ["Outstanding Notices (Unpaid)", 0],
                                        ["Settled Notices (Paid)", 0]]
    assert rows(wb["Type V Notices Detail"]) == [DETAIL]
    assert len(rows(wb["Amended Notices (V→S)"])) == 3     # amended notices do not depend on the VIP list


def test_cas_unreachable_gives_a_report_with_a_warning_and_alerts_the_administrator(db, data, env, cas, smtp):
    with db.engine.begin() as c:   # the list as the last refresh left it
        c.execute(text("INSERT INTO ocms_vip_vehicle (vehicle_no, vip_vehicle, status, cre_date, cre_user_id) "
                       "VALUES ('SVIP001A', 'Y', 'ACTIVE', :d, 't')"), {"d": dt.datetime(2026, 1, 14, 1, 0)})
    cas.fail_always()
    outcome = run_job(db, JOB, DAY)
    assert outcome["status"] == "SUCCESS", outcome
    assert outcome["counts"]["cas"] == "UNAVAILABLE" and outcome["counts"]["adminAlerted"] is True
    assert cas.call_count == 3                               # 1 try + OCMS_HTTP_RETRIES
    mails = smtp.wait_for(2)
    [alert] = [m for m in mails if m.recipients == (ADMIN,)]
    assert "CAS unreachable" in alert.subject and "last refreshed on 2026-01-14 01:00" in alert.body
    [report] = [m for m in mails if m.recipients == tuple(OICS)]
    assert "WARNING: CAS could not be reached" in report.body
    summary = rows(workbook(report.attachments[0].data)["Summary"])
    assert summary[-1][0] == "Warning" and "CAS could not be reached" in summary[-1][1]
    assert summary[2] == ["Total Notices Issued (Type V)", 3]       # from the stored list: SVIP001A only


def test_an_email_failure_is_retried(db, data, env, smtp):
    smtp.fail_next(2)
    outcome = run_job(db, JOB, DAY)
    assert outcome["status"] == "SUCCESS" and outcome["counts"]["emailAttempts"] == 3
    assert len(report_mails(smtp)) == 1 and smtp.refused == 2


def test_an_email_that_keeps_failing_is_logged_for_manual_sending_and_the_rerun_sends_it(db, data, env, smtp, cas):
    smtp.fail_always()
    first = run_job(db, JOB, DAY)
    assert first["status"] == "FAILED" and "not emailed" in first["error"]
    assert smtp.refused == 3
    with db.engine.connect() as c:
        [queued] = c.execute(text("SELECT review_type, status, details FROM ocms_manual_review_queue")).all()
        [stored] = c.execute(text("SELECT id, file_name FROM ocms_report_file")).all()
        run = c.execute(text("SELECT status, counts FROM ocms_batch_job_run WHERE job_name = :j"), {"j": JOB}).one()
    details = json.loads(queued[2]) if isinstance(queued[2], str) else queued[2]
    assert queued[:2] == ("REPORT_EMAIL", "OPEN") and details["reportId"] == stored[0]
    assert details["url"] == f"/v1/vip/reports/classified/{stored[0]}" and details["recipients"] == OICS
    counts = json.loads(run[1]) if isinstance(run[1], str) else run[1]
    assert run[0] == "FAILED" and counts["reportId"] == stored[0] and counts["manualSend"] is True

    smtp.reset()
    cas_calls = cas.call_count
    second = run_job(db, JOB, DAY)     # same key: the report is not built again, only sent
    assert second["status"] == "SUCCESS" and second["counts"]["resumed"] is True
    assert second["counts"]["reportId"] == stored[0] and cas.call_count == cas_calls
    [mail] = report_mails(smtp)
    assert mail.attachments[0].filename == stored[1]
    with db.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM ocms_report_file")).scalar() == 1
        assert c.execute(text("SELECT status FROM ocms_manual_review_queue")).scalar() == "RESOLVED"
    assert run_job(db, JOB, DAY)["status"] == "ALREADY_DONE"


def test_a_forced_rerun_of_a_sent_day_builds_a_new_report(db, data, env, smtp):
    first = run_job(db, JOB, DAY)["counts"]["reportId"]
    second = run_job(db, JOB, DAY, force=True)["counts"]
    assert second["reportId"] != first and second["resumed"] is False
    assert len(report_mails(smtp, 2)) == 2


def test_no_recipients_configured_is_logged_for_manual_sending(db, data, env, monkeypatch):
    monkeypatch.setenv("OCMS_CLASSIFIED_REPORT_TO", "")
    outcome = run_job(db, JOB, DAY)
    assert outcome["status"] == "FAILED" and "OCMS_CLASSIFIED_REPORT_TO" in outcome["error"]
    with db.engine.connect() as c:
        assert c.execute(text("SELECT review_type FROM ocms_manual_review_queue")).scalar() == "REPORT_EMAIL"
        assert c.execute(text("SELECT count(*) FROM ocms_report_file")).scalar() == 1


def test_a_bad_run_key_fails_the_run(db, env):
    outcome = run_job(db, JOB, "yesterday")
    assert outcome["status"] == "FAILED" and "yyyy-MM-dd" in outcome["error"]


def test_report_rows_are_stored_with_their_params(db, data, env):
    run_job(db, JOB, DAY)
    with db.session() as s:
        [row] = s.query(ReportFile).all()
        assert row.report_type == "CLASSIFIED_VEHICLE" and row.params["reportDate"] == DAY
        assert row.params["emailSent"] is True and row.params["detailRows"] == 6
