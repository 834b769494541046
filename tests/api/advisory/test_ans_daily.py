"""The daily ANS report job (OCMS 10 §3.8 "Daily (scheduled)"): stored as Excel and PDF, emailed over real SMTP.

The mail goes to :class:`simulators.smtp.SmtpSimulator` on a free loopback
port; attachments are opened with openpyxl and pypdf; rows are read back.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from api.jobs import run_job
from repository.models import BatchJobRun, ReportFile, SuspendedNotice, ValidOffenceNotice

JOB = "ans-report-daily"
DAY = "2026-01-05"
TO = ["ans-team@example.com", "supervisor@example.com"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def env(monkeypatch, tmp_path, smtp):
    monkeypatch.setenv("OCMS_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("OCMS_SMTP_HOST", smtp.host)
    monkeypatch.setenv("OCMS_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("OCMS_ANS_REPORT_TO", ",".join(TO))
    monkeypatch.setenv("OCMS_ALERT_FROM", "ocms@example.gov.sg")
    return tmp_path / "reports"


@pytest.fixture
def suspensions(db):
    """Three PS-ANS suspensions on the 5th, one the day after, one PS-DBB on the 5th."""
    def notice(no, vehicle):
        return ValidOffenceNotice(notice_no=no, vehicle_no=vehicle, subsystem_label="030", offence_notice_type="O",
                                  notice_date_and_time=dt.datetime(2026, 1, 4, 8, 30), computer_rule_code=10100,
                                  composition_amount=Decimal("50.00"), pp_code="A0001", pp_name="Queen St car park")

    def ans(no, when, reason="ANS"):
        return SuspendedNotice(notice_no=no, date_of_suspension=when, sr_no=1, suspension_type="PS",
                               reason_of_suspension=reason, due_date_of_revival=when + dt.timedelta(days=30))
    with db.unit_of_work() as uow:
        uow.session.add_all([notice(f"50000000{i}A", f"SBA{i}23A") for i in range(1, 6)])
        uow.session.flush()
        uow.session.add_all([ans("500000001A", dt.datetime(2026, 1, 5, 0, 0)),
                             ans("500000002A", dt.datetime(2026, 1, 5, 12, 30)),
                             ans("500000003A", dt.datetime(2026, 1, 5, 23, 59)),
                             ans("500000004A", dt.datetime(2026, 1, 6, 0, 0)),
                             ans("500000005A", dt.datetime(2026, 1, 5, 9, 0), reason="DBB")])
        uow.commit()


def reports(db) -> list[ReportFile]:
    with db.session() as s:
        rows = list(s.scalars(select(ReportFile).order_by(ReportFile.id)))
        s.expunge_all()
        return rows


def test_the_day_is_stored_as_excel_and_pdf_and_emailed_with_both(db, env, smtp, suspensions):
    outcome = run_job(db, JOB, DAY)
    assert outcome["status"] == "SUCCESS", outcome
    assert outcome["counts"]["totalRecords"] == 3 and outcome["counts"]["emailed"] is True
    assert outcome["counts"]["recipients"] == 2
    stored = reports(db)
    assert sorted(r.content_type for r in stored) == sorted([XLSX, "application/pdf"])
    assert {r.created_by for r in stored} == {f"{JOB}:{DAY}"}
    assert all((env / r.storage_path).is_file() for r in stored)

    [mail] = smtp.wait_for(1)
    assert sorted(mail.recipients) == sorted(TO) and mail.sender == "ocms@example.gov.sg"
    assert DAY in mail.subject and "3 notice(s)" in mail.subject
    assert "Advisory Notice Suspension (ANS) report for 2026-01-05" in mail.body
    files = {a.content_type: a for a in mail.attachments}
    assert set(files) == {XLSX, "application/pdf"}
    assert {a.filename for a in mail.attachments} == {r.file_name for r in stored}
    sheet = load_workbook(io.BytesIO(files[XLSX].data))["ANS Report"]
    notices = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert notices == ["500000003A", "500000002A", "500000001A"]          # the day only, newest first
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(files["application/pdf"].data)).pages)
    assert "500000002A" in text and "500000004A" not in text and "Total Records: 3" in text
    # the stored files are the ones sent
    assert {r.file_name: (env / r.storage_path).read_bytes() for r in stored} == \
        {a.filename: a.data for a in mail.attachments}


def test_a_rerun_neither_renders_nor_emails_twice(db, env, smtp, suspensions):
    assert run_job(db, JOB, DAY)["status"] == "SUCCESS"
    again = run_job(db, JOB, DAY, force=True)
    assert again["status"] == "SUCCESS" and again["counts"]["filesWritten"] == 0
    assert again["counts"]["emailed"] is False and again["counts"]["emailedAt"]
    assert len(reports(db)) == 2
    assert len(smtp.wait_for(2, timeout=0.5)) == 1


def test_a_failed_email_fails_the_run_and_the_rerun_sends_the_stored_files(db, env, smtp, suspensions, monkeypatch):
    from simulators.runner import free_port
    monkeypatch.setenv("OCMS_SMTP_PORT", str(free_port()))   # nothing listens there
    failed = run_job(db, JOB, DAY)
    assert failed["status"] == "FAILED" and "MailError" in failed["error"]
    assert len(reports(db)) == 2                              # the files were kept
    monkeypatch.setenv("OCMS_SMTP_PORT", str(smtp.port))
    fixed = run_job(db, JOB, DAY)
    assert fixed["status"] == "SUCCESS" and fixed["counts"]["filesWritten"] == 0 and fixed["counts"]["emailed"]
    assert len(reports(db)) == 2
    assert len(smtp.wait_for(1)[0].attachments) == 2


def test_a_day_without_suspensions_emails_the_spec_message_and_stores_nothing(db, env, smtp, suspensions):
    outcome = run_job(db, JOB, "2026-01-07")
    assert outcome["status"] == "SUCCESS" and outcome["counts"]["totalRecords"] == 0
    [mail] = smtp.wait_for(1)
    assert "No records found for the selected criteria" in mail.body and not mail.attachments
    assert reports(db) == []


def test_without_recipients_the_report_is_stored_not_emailed(db, env, smtp, suspensions, monkeypatch):
    monkeypatch.delenv("OCMS_ANS_REPORT_TO")
    outcome = run_job(db, JOB, DAY)
    assert outcome["status"] == "SUCCESS" and outcome["counts"]["emailed"] is False
    assert len(reports(db)) == 2 and smtp.wait_for(1, timeout=0.3) == []


def test_the_run_key_must_be_a_date(db, env):
    outcome = run_job(db, JOB, "yesterday")
    assert outcome["status"] == "FAILED" and "YYYY-MM-DD" in outcome["error"]


def test_the_default_key_is_the_previous_business_day(db, env, monkeypatch):
    from zoneinfo import ZoneInfo
    outcome = run_job(db, JOB)
    expected = (dt.datetime.now(ZoneInfo("Asia/Singapore")).date() - dt.timedelta(days=1)).isoformat()
    assert outcome["runKey"] == expected
    with db.session() as s:
        assert s.scalar(select(BatchJobRun.status).where(BatchJobRun.run_key == expected)) == "SUCCESS"
