"""Formula injection, every report (issues 11/13 review): text starting with = + - @ TAB CR reads back as text.

Each report is produced the way a caller gets it (the CPS report from a real submit over HTTP, the ANS report
downloaded over HTTP, the classified vehicle report rendered by its job's writer) and opened with openpyxl:
the value comes back exactly as stored, as a string cell with Excel's quote prefix, never a formula.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from repository import business_time
from repository.models import SuspendedNotice, ValidOffenceNotice
from tests.api.cps.test_api import body, notice, seed
from tests.api.cps.conftest import cps, cps_app, cps_db  # noqa: F401
from tests.conftest import bearer

HOSTILE = ["=1+2", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1+2", "\r=1+2", '=HYPERLINK("https://evil.example/","x")',
           "\uff1d1+2"]
OIC = bearer("officer1", ("OIC",))


def _is_text(cell, value) -> None:
    assert cell.value == value and cell.data_type == "s", (cell.coordinate, cell.value, cell.data_type)
    assert cell.quotePrefix, (cell.coordinate, cell.value)


@pytest.mark.parametrize("remarks", HOSTILE)
def test_cps_report_remarks_read_back_as_text(cps, cps_db, remarks):
    seed(cps_db, notice("N000000050"))
    r = cps.post("/v1/cps/submit", json=body(["N000000050"], "RR3", "OTH", remarks), headers=OIC)
    assert r.status_code == 200, r.get_json()
    dl = cps.get(r.get_json()["report"]["url"], headers=OIC)
    ws = openpyxl.load_workbook(io.BytesIO(dl.data)).active
    assert ws.cell(1, 8).value == "Remarks"
    _is_text(ws.cell(2, 8), remarks)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


@pytest.mark.parametrize("pp_name", HOSTILE)
def test_ans_report_pp_name_reads_back_as_text(make_app, tmp_path, pp_name):
    from api.database import get_db
    app = make_app(OCMS_REPORT_DIR=str(tmp_path / "reports"))
    db = get_db(app)
    day = business_time.today() - dt.timedelta(days=2)
    with db.unit_of_work() as uow:
        uow.session.add(ValidOffenceNotice(
            notice_no="500000001A", vehicle_no="SBA1234A", subsystem_label="001", offence_notice_type="O",
            notice_date_and_time=dt.datetime.combine(day, dt.time(8, 30)), computer_rule_code=10100,
            composition_amount=Decimal("70.00"), pp_code=None, pp_name=pp_name))
        uow.session.flush()
        uow.session.add(SuspendedNotice(notice_no="500000001A", date_of_suspension=dt.datetime.combine(day, dt.time(9)),
                                        sr_no=1, suspension_type="PS", reason_of_suspension="ANS",
                                        due_date_of_revival=dt.datetime.combine(day, dt.time(9)) + dt.timedelta(days=30),
                                        suspension_remarks=pp_name))
        uow.commit()
    r = app.test_client().get("/v1/an/reports/ans", query_string={"dateFrom": day.isoformat(),
                                                                   "dateTo": day.isoformat()}, headers=OIC)
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.data))["ANS Report"]
    assert [c.value for c in ws[1]][8:] == ["Parking Place", "Suspension Remarks"]
    place, remarks = ws.cell(2, 9), ws.cell(2, 10)
    assert pp_name in place.value and place.data_type == "s"
    if place.value[0] in "=+-@\t\r\n\uff1d":
        assert place.quotePrefix
    _is_text(remarks, pp_name)


def _classified(place: str):
    from api.vip.classified_report.query import AmendedRow, NoticeRow, Summary
    from api.vip.classified_report.workbook import render_report
    when = dt.datetime(2026, 1, 2, 9, 30)
    notices = [NoticeRow(notice_no="V000000001", vehicle_no=place, notice_date=when, offence_code=10102, place=place,
                         composition_amount=Decimal("70"), amount_payable=Decimal("70"), payment_status=place,
                         suspension_type="TS", suspension_reason="CLV")]
    amended = [AmendedRow(notice_no="S000000002", vehicle_no="SVIP001A", notice_date=when, suspension_date=when,
                          revival_date=None, place=place, composition_amount=Decimal("70"),
                          amount_payable=Decimal("70"))]
    data, n, a = render_report(dt.date(2026, 1, 15), Summary(active_vehicles=1, total=1, outstanding=1, amended=1),
                               notices, amended, warning=place)
    assert (n, a) == (1, 1)
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("place", HOSTILE)
def test_classified_vehicle_report_reads_back_as_text(place):
    wb = _classified(place)
    detail, amended, summary = wb["Type V Notices Detail"], wb["Amended Notices (V→S)"], wb["Summary"]
    for cell in (detail["C2"], detail["F2"], detail["I2"], amended["I2"], summary["B7"]):
        _is_text(cell, place)
    assert detail["D2"].is_date and detail["G2"].data_type == "n" and detail["G2"].number_format == "#,##0.00"
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from("=+-@\t\r") .flatmap(lambda p: st.text(max_size=20).map(lambda t: p + t)))
def test_any_text_with_a_formula_prefix_reads_back_as_text(value):
    from api.reports import Column, Sheet, write_xlsx
    from api.reports.xlsx import XML_ILLEGAL
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx([Sheet("S", [Column("a")], [[value]])])))
    cell = wb.active["A2"]
    assert cell.data_type == "s" and cell.quotePrefix
    assert cell.value == XML_ILLEGAL.sub("", value)
