"""ANS report (OCMS 10 §3.8): criteria, filters, Excel and PDF content, empty result, report store."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from repository.models import ReportFile, SuspendedNotice, ValidOffenceNotice

URL = "/v1/an/reports/ans"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(OCMS_REPORT_DIR=str(tmp_path / "reports"))


def _notice(no, vehicle, subsystem, **kw):
    return ValidOffenceNotice(notice_no=no, vehicle_no=vehicle, subsystem_label=subsystem, offence_notice_type="O",
                              notice_date_and_time=kw.pop("notice_date", dt.datetime(2026, 1, 2, 8, 30)),
                              computer_rule_code=kw.pop("code", 10100),
                              composition_amount=kw.pop("amount", Decimal("50.00")),
                              pp_code="A0001", pp_name="Queen St car park", **kw)


def _suspension(no, when, reason="ANS", sr_no=1):
    return SuspendedNotice(notice_no=no, date_of_suspension=when, sr_no=sr_no, suspension_type="PS",
                           reason_of_suspension=reason, due_date_of_revival=when + dt.timedelta(days=30),
                           suspension_remarks="Advisory Notice detected - qualified AN")


@pytest.fixture
def suspensions(db):
    """Five notices: four PS-ANS in January (two vehicles, two subsystems), one PS-DBB, one ANS in March."""
    with db.unit_of_work() as uow:
        s = uow.session
        s.add_all([
            _notice("500000001A", "SBA1234A", "030", amount=Decimal("70.00"), code=20500),
            _notice("500000002B", "SBA1234A", "001"),
            _notice("500000003C", "SKL888Z", "030"),
            _notice("500000004D", "SKL888Z", "030"),
            _notice("500000005E", "SBA1234A", "030"),
            _notice("500000006F", "SBA1234A", "030"),
        ])
        s.flush()
        s.add_all([
            _suspension("500000001A", dt.datetime(2026, 1, 5, 9, 0)),
            _suspension("500000002B", dt.datetime(2026, 1, 31, 23, 59)),   # last day of the range: included
            _suspension("500000003C", dt.datetime(2026, 1, 1, 0, 0)),      # first day: included
            _suspension("500000004D", dt.datetime(2026, 1, 20, 12, 0), reason="DBB"),  # not ANS
            _suspension("500000005E", dt.datetime(2026, 2, 1, 0, 0)),     # the day after: excluded
            _suspension("500000006F", dt.datetime(2025, 12, 31, 23, 59)),  # the day before: excluded
        ])
        uow.commit()


def _get(client, bearer, **query):
    return client.get(URL, query_string=query, headers=bearer())


def _sheet_rows(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [list(r) for r in wb["ANS Report"].iter_rows(values_only=True)], wb


# ---- criteria --------------------------------------------------------------------------------
@pytest.mark.parametrize("query, field, message", [
    ({"dateTo": "2026-01-31"}, "dateFrom", "Missing data for required field."),
    ({"dateFrom": "2026-01-01"}, "dateTo", "Missing data for required field."),
    ({"dateFrom": "01/01/2026", "dateTo": "2026-01-31"}, "dateFrom", "must be a date yyyy-MM-dd"),
    ({"dateFrom": "2026-1-1", "dateTo": "2026-01-31"}, "dateFrom", "must be a date yyyy-MM-dd"),
    ({"dateFrom": "2026-02-30", "dateTo": "2026-03-01"}, "dateFrom", None),
    ({"dateFrom": "2026-01-31", "dateTo": "2026-01-01"}, "dateFrom", "must be on or before dateTo"),
    ({"dateFrom": "2026-01-01", "dateTo": "2026-01-31", "vehicleNo": "SBA-1234"}, "vehicleNo", None),
    ({"dateFrom": "2026-01-01", "dateTo": "2026-01-31", "subsystem": "TOOLONG123"}, "subsystem", None),
    ({"dateFrom": "2026-01-01", "dateTo": "2026-01-31", "format": "csv"}, "format", None),
    ({"dateFrom": "2026-01-01", "dateTo": "2026-01-31", "vehicleNumber": "SBA1234A"}, "vehicleNumber", None),
])
def test_bad_criteria_are_ocms_4000_naming_the_field(client, bearer, query, field, message):
    r = _get(client, bearer, **query)
    assert r.status_code == 400
    body = r.get_json()["data"]
    assert body["appCode"] == "OCMS-4000"
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert field in errors
    if message:
        assert errors[field] == message


def test_range_over_31_days_is_refused_and_31_days_pass(client, bearer, suspensions):
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-02-01")   # 32 days, both ends counted
    assert r.status_code == 400
    assert r.get_json()["data"]["message"] == "Date range exceeds 31 days"
    assert r.get_json()["data"]["errors"][0]["field"] == "dateTo"
    assert _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-31").status_code == 200


def test_range_limit_comes_from_ocms_parameter(client, bearer, db, suspensions):
    from repository.queries import set_parameter
    with db.unit_of_work() as uow:
        set_parameter(uow.session, "REPORT_RANGE_DAYS", "ANS", "7")
        uow.commit()
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-08")
    assert r.status_code == 400 and r.get_json()["data"]["message"] == "Date range exceeds 7 days"
    assert _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-07").status_code == 200


def test_needs_a_staff_portal_jwt(client, key, suspensions):
    assert client.get(URL, query_string={"dateFrom": "2026-01-01", "dateTo": "2026-01-31"}).status_code == 401
    r = client.get(URL, query_string={"dateFrom": "2026-01-01", "dateTo": "2026-01-31"}, headers=key("cas"))
    assert r.status_code == 401 and r.get_json()["data"]["appCode"] == "OCMS-4001"


# ---- Excel ----------------------------------------------------------------------------------------
def test_excel_has_the_spec_columns_newest_suspension_first(client, bearer, db, suspensions, app):
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-31")
    assert r.status_code == 200 and r.mimetype == XLSX
    assert r.headers["Content-Disposition"].startswith("attachment; filename=ANS_Report_20260101_20260131_")
    rows, wb = _sheet_rows(r.data)
    assert rows[0] == ["Notice Number", "Vehicle Number", "Subsystem", "Suspension Date", "Revival Date",
                       "Offense Code", "Composition Amount", "Notice Date", "Parking Place", "Suspension Remarks"]
    assert [row[0] for row in rows[1:]] == ["500000002B", "500000001A", "500000003C"]
    first = rows[2]  # 500000001A
    assert first[1:3] == ["SBA1234A", "030"]
    assert first[3] == dt.datetime(2026, 1, 5, 9, 0) and first[4] == dt.datetime(2026, 2, 4, 9, 0)
    assert first[5] == 20500 and first[6] == 70
    assert first[7] == dt.datetime(2026, 1, 2, 8, 30)
    assert first[8] == "A0001 - Queen St car park" and first[9] == "Advisory Notice detected - qualified AN"
    criteria = dict(wb["Criteria"].iter_rows(values_only=True))
    assert criteria["Total Records"] == 3 and criteria["Date From"] == dt.datetime(2026, 1, 1)  # a date cell

    # Kept in the report store, with its row, and downloadable again by id.
    report_id = int(r.headers["X-Report-Id"])
    with db.session() as s:
        stored = s.scalars(select(ReportFile)).all()
        s.expunge_all()
    assert [(f.id, f.report_type, f.content_type, f.created_by) for f in stored] == [
        (report_id, "ANS", XLSX, "jwt:officer1")]
    assert stored[0].params == {"dateFrom": "2026-01-01", "dateTo": "2026-01-31", "vehicleNo": None,
                                "subsystem": None, "format": "xlsx", "totalRecords": 3}
    assert (app.config["OCMS_REPORT_DIR"] + "/" + stored[0].storage_path).endswith(stored[0].file_name)
    again = client.get(f"{URL}/{report_id}", headers=bearer())
    assert again.status_code == 200 and again.data == r.data
    missing = client.get(f"{URL}/{report_id + 100}", headers=bearer())
    assert missing.status_code == 404 and missing.get_json()["data"]["appCode"] == "OCMS-4004"


@pytest.mark.parametrize("filters, expected", [
    ({"vehicleNo": "SBA1234A"}, ["500000002B", "500000001A"]),
    ({"vehicleNo": "sba1234a"}, ["500000002B", "500000001A"]),   # vehicle numbers are upper case
    ({"subsystem": "030"}, ["500000001A", "500000003C"]),
    ({"vehicleNo": "SBA1234A", "subsystem": "030"}, ["500000001A"]),
])
def test_filters(client, bearer, suspensions, filters, expected):
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-31", **filters)
    assert r.status_code == 200
    rows, _ = _sheet_rows(r.data)
    assert [row[0] for row in rows[1:]] == expected
    assert r.headers["X-Total-Records"] == str(len(expected))


# ---- PDF ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, mimetype", [("PDF", "application/pdf"), (" Pdf ", "application/pdf"), ("XLSX", XLSX)])
def test_the_format_is_accepted_in_any_case(client, bearer, suspensions, fmt, mimetype):
    """Issue 11 review item 10: format=PDF (upper case) was refused."""
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-31", format=fmt)
    assert r.status_code == 200 and r.mimetype == mimetype, r.get_data(as_text=True)[:200]


def test_pdf_is_a_pdf_with_the_spec_layout(client, bearer, suspensions):
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-31", format="pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF-")
    assert r.headers["Content-Disposition"].endswith(".pdf")
    pdf = PdfReader(io.BytesIO(r.data))
    assert len(pdf.pages) >= 1
    text = "\n".join(p.extract_text() for p in pdf.pages)
    for expected in ("Advisory Notice Suspension Report", "Generated:", "Date Range: 2026-01-01 to 2026-01-31",
                     "Notice No", "Vehicle No", "Subsystem", "Suspension Date", "Revival Date",
                     "500000002B", "500000001A", "500000003C", "SKL888Z", "2026-01-05", "2026-02-04",
                     "Total Records: 3"):
        assert expected in text, expected
    assert "500000004D" not in text and "500000005E" not in text


def test_pdf_of_many_rows_runs_over_pages_with_headings(client, bearer, db):
    with db.unit_of_work() as uow:
        uow.session.add_all([_notice(f"5100{i:05d}A", f"SBA{i:04d}A", "030") for i in range(120)])
        uow.session.flush()
        uow.session.add_all([_suspension(f"5100{i:05d}A", dt.datetime(2026, 1, 10, 8, 0) + dt.timedelta(minutes=i))
                             for i in range(120)])
        uow.commit()
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-31", format="pdf")
    pdf = PdfReader(io.BytesIO(r.data))
    assert len(pdf.pages) >= 3
    texts = [p.extract_text() for p in pdf.pages]
    with_rows = [t for t in texts if "SBA0" in t]
    assert len(with_rows) >= 3 and all("Notice No" in t for t in with_rows)  # headings on every page of rows
    assert sum(t.count("5100") for t in texts) == 120
    assert "Total Records: 120" in pdf.pages[-1].extract_text()


# ---- empty ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_no_rows_is_a_message_and_no_file(client, bearer, db, suspensions, fmt):
    r = _get(client, bearer, dateFrom="2026-03-01", dateTo="2026-03-31", format=fmt)
    assert r.status_code == 200 and r.is_json
    assert r.get_json() == {"data": {"appCode": "OCMS-2000", "message": "No records found for the selected criteria",
                                     "totalRecords": 0}}
    r = _get(client, bearer, dateFrom="2026-01-01", dateTo="2026-01-31", vehicleNo="SNOBODY1")
    assert r.get_json()["data"]["message"] == "No records found for the selected criteria"
    with db.session() as s:
        assert s.scalars(select(ReportFile)).all() == []
