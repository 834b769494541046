"""VIP AN letters (OCMS 14 tab 3): the daily job, letters read back from the print vendor's SFTP directory."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from repository.models import (
    BatchJobRun, ChangeOfProcessing, EValidOffenceNotice, LetterDelivery, OffenceNoticeOwnerDriver,
    SuspendedNotice, ValidOffenceNotice, now,
)

from .conftest import Killed, all_rows, get, insert_notices, notice_row, run_job_with

JOB = "vip-an-letters"
TODAY = now().date()
FOLDER = f"print/{TODAY:%Y%m%d}"


def vip_an(n, due_in_days=-1, vehicle="VIP0001A", **cols):
    fields = dict(vehicle_no=vehicle, an_flag="Y", payment_acceptance_allowed="N", last_processing_stage="NPA",
                  last_processing_date=now() - dt.timedelta(days=2), next_processing_stage="ROV",
                  next_processing_date=now() + dt.timedelta(days=due_in_days), pp_name="Ang Mo Kio Ave 3 Car Park")
    return notice_row(n, **{**fields, **cols})


def pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_letters_are_delivered_then_notices_move_to_rd1_with_ps_ans(vdb, externals):
    insert_notices(vdb, [vip_an("V000000001"), vip_an("V000000002", 0, vehicle="VIP0002B"),
                         vip_an("V000000003", 1),                                   # not due yet
                         vip_an("V000000004", suspension_type="TS", epr_reason_of_suspension="OLD"),  # suspended
                         vip_an("S000000005", vtype="S", vehicle="SBA1234A"),        # not VIP
                         vip_an("V000000006", an_flag="N")])                         # not an AN
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS", out
    assert (out["counts"]["candidates"], out["counts"]["sent"], out["counts"]["moved"]) == (2, 2, 2)
    assert externals.sftp.files() == [f"{FOLDER}/VIPAN_V000000001_{TODAY:%Y%m%d}.pdf",
                                      f"{FOLDER}/VIPAN_V000000002_{TODAY:%Y%m%d}.pdf"]
    text = pdf_text(externals.sftp.root / FOLDER / f"VIPAN_V000000001_{TODAY:%Y%m%d}.pdf")
    assert "Advisory Notice V000000001" in text and "VIP0001A" in text and "Ang Mo Kio Ave 3 Car Park" in text
    owner = get(vdb, OffenceNoticeOwnerDriver, "V000000001", "O")   # from LTA, address from MHA
    assert owner.name in text and owner.postal_code in text and owner.mha_checked_date is not None
    for n in ("V000000001", "V000000002"):
        v = get(vdb, ValidOffenceNotice, n)
        assert (v.prev_processing_stage, v.last_processing_stage, v.next_processing_stage) == ("NPA", "RD1", "RD2")
        assert v.next_processing_date.date() == (v.last_processing_date + dt.timedelta(days=21)).date()
        assert (v.suspension_type, v.epr_reason_of_suspension, v.letter_sent_flag) == ("PS", "ANS", "Y")
        assert get(vdb, EValidOffenceNotice, n).epr_reason_of_suspension == "ANS"
        (s,) = all_rows(vdb, SuspendedNotice, notice_no=n)
        assert (s.suspension_type, s.reason_of_suspension) == ("PS", "ANS")
        (c,) = all_rows(vdb, ChangeOfProcessing, notice_no=n)
        assert (c.last_processing_stage, c.new_processing_stage, c.source) == ("NPA", "RD1", "SYSTEM")
        (d,) = all_rows(vdb, LetterDelivery, notice_no=n)
        assert d.remote_path == f"/{FOLDER}/{d.file_name}" and d.status == "DELIVERED"
    for n in ("V000000003", "V000000004", "S000000005", "V000000006"):
        assert get(vdb, ValidOffenceNotice, n).last_processing_stage == "NPA"
    forced = run_job_with(vdb, externals.env, JOB, force=True)
    assert forced["counts"]["candidates"] == 0 and set(externals.sftp.uploads.values()) == {1}


def test_killed_after_the_upload_the_rerun_records_without_sending_again(vdb, externals, die_at):
    insert_notices(vdb, [vip_an(f"V00000000{i}", vehicle=f"VIP000{i}A") for i in range(1, 4)])
    die_at("INSERT INTO ocms_letter_delivery")        # files are on the server, the commit never happens
    with pytest.raises(Killed):
        run_job_with(vdb, externals.env, JOB)
    assert len(externals.sftp.files()) == 3 and all_rows(vdb, LetterDelivery) == []
    assert get(vdb, ValidOffenceNotice, "V000000001").last_processing_stage == "NPA"
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS", out
    assert (out["counts"]["sent"], out["counts"]["foundOnServer"], out["counts"]["moved"]) == (0, 3, 3)
    assert set(externals.sftp.uploads.values()) == {1}  # each file uploaded exactly once
    assert len(all_rows(vdb, LetterDelivery)) == 3 and len(all_rows(vdb, SuspendedNotice)) == 3


def test_sftp_refusing_fails_the_run_keeping_earlier_chunks_and_the_rerun_finishes(vdb, externals, fast_retries):
    f = fast_retries / "stage_progression.yaml"
    f.write_text(f.read_text().replace("chunk_size: 200", "chunk_size: 2"))
    insert_notices(vdb, [vip_an(f"V00000000{i}", vehicle=f"VIP000{i}A") for i in range(1, 6)])
    externals.sftp.fail_next_uploads(0)
    calls = {"n": 0}
    real = externals.sftp._refuse_upload

    def third_upload_refused():
        calls["n"] += 1
        return calls["n"] == 3 or real()
    externals.sftp._refuse_upload = third_upload_refused
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "FAILED" and "not delivered" in out["error"]
    moved = [n.notice_no for n in all_rows(vdb, ValidOffenceNotice) if n.last_processing_stage == "RD1"]
    assert moved == ["V000000001", "V000000002"]        # the first chunk stays done
    (run,) = all_rows(vdb, BatchJobRun, job_name=JOB)
    assert run.status == "FAILED" and run.counts["moved"] == 2
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS" and out["counts"]["moved"] == 3
    assert len([n for n in all_rows(vdb, ValidOffenceNotice) if n.last_processing_stage == "RD1"]) == 5
    assert set(externals.sftp.uploads.values()) == {1} and len(externals.sftp.uploads) == 5


def test_no_address_yet_leaves_the_notice_for_the_next_run(vdb, externals):
    insert_notices(vdb, [vip_an("V000000001")])
    externals.lta.fail_always()
    out = run_job_with(vdb, externals.env, JOB)
    assert out["status"] == "SUCCESS" and out["counts"]["noAddress"] == 1 and out["counts"]["ltaFailed"] == 1
    assert externals.sftp.files() == [] and get(vdb, ValidOffenceNotice, "V000000001").last_processing_stage == "NPA"
    externals.lta.reset()
    out = run_job_with(vdb, externals.env, JOB, force=True)
    assert out["counts"]["moved"] == 1


def test_sftp_not_configured_fails_clearly(vdb, externals):
    insert_notices(vdb, [vip_an("V000000001")])
    env = {**externals.env, "OCMS_SFTP_HOST": ""}
    out = run_job_with(vdb, env, JOB)
    assert out["status"] == "FAILED" and "OCMS_SFTP_HOST" in out["error"]
    assert get(vdb, ValidOffenceNotice, "V000000001").last_processing_stage == "NPA"
