"""Reports written from hostile data: opened with openpyxl, every data cell is text, a number or a date."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from repository.models import SuspendedNotice, ValidOffenceNotice

LINK = '=HYPERLINK("https://evil.example/","Click")'


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(OCMS_REPORT_DIR=str(tmp_path / "reports"))


def _no_formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_ans_report_cells_are_typed_never_formulas(db, client, bearer):
    with db.unit_of_work() as uow:
        uow.session.add(ValidOffenceNotice(
            notice_no="500000001A", vehicle_no="=1+2", subsystem_label="@SUM(1)", offence_notice_type="O",
            notice_date_and_time=dt.datetime(2026, 1, 2, 8, 30), computer_rule_code=10100,
            composition_amount=Decimal("70.00"), pp_code="-1+2", pp_name=LINK))
        uow.session.flush()
        uow.session.add(SuspendedNotice(notice_no="500000001A", date_of_suspension=dt.datetime(2026, 1, 5, 9),
                                        sr_no=1, suspension_type="PS", reason_of_suspension="ANS",
                                        due_date_of_revival=dt.datetime(2026, 2, 4, 9), suspension_remarks="+cmd"))
        uow.commit()
    r = client.get("/v1/an/reports/ans", query_string={"dateFrom": "2026-01-01", "dateTo": "2026-01-31"},
                   headers=bearer())
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    _no_formulas(wb)
    ws = wb["ANS Report"]
    row = [c for c in ws[2]]
    values = [c.value for c in row]
    assert values[:3] == ["500000001A", "=1+2", "@SUM(1)"] and values[8] == f"-1+2 - {LINK}" and values[9] == "+cmd"
    assert [c.data_type for c in row[:3]] == ["s", "s", "s"] and row[1].quotePrefix and row[2].quotePrefix
    assert row[3].is_date and row[4].is_date and row[7].is_date          # suspension, revival, notice dates
    assert row[5].value == 10100 and row[5].data_type == "n"            # offence code: a number
    assert row[6].value == 70 and row[6].data_type == "n" and row[6].number_format == "0.00"  # amount


def test_cps_report_cells_are_typed_never_formulas(tmp_path):
    from api.cps.reports import write_workbook
    path = tmp_path / "cps.xlsx"
    write_workbook(path, [("500000001A", "RD1", "RD2", dt.date(2026, 1, 15), "OTH", "=officer", "OCMS", LINK,
                           "+Offender", "-SBA1")], "CPS")
    wb = load_workbook(path)
    _no_formulas(wb)
    row = list(wb.active[2])
    assert [c.value for c in row[4:]] == ["OTH", "=officer", "OCMS", LINK, "+Offender", "-SBA1"]
    assert all(c.data_type == "s" for c in row[4:]) and row[5].quotePrefix and row[7].quotePrefix
    assert row[3].is_date and row[3].value == dt.datetime(2026, 1, 15)
