"""A cron process really killed (SIGKILL) in the middle of its transaction, then run again (PostgreSQL)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from repository.models import BatchJobRun, ChangeOfProcessing, SuspendedNotice, ValidOffenceNotice

from .conftest import all_rows, get, insert_notices
from .test_ts_clv import at


def test_vip_ts_clv_killed_while_writing_then_rerun(vip_app, vdb, db_engine):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: the test holds a row lock to stop the job mid-transaction")
    insert_notices(vdb, [at("RR3", -1, f"V00000000{i}") for i in range(1, 6)])
    env = {**os.environ, "OCMS_DATABASE_URL": vip_app.config["OCMS_DATABASE_URL"],
           "OCMS_RULES_DIR": vip_app.config["OCMS_RULES_DIR"]}
    with db_engine.connect() as blocker:
        tx = blocker.begin()
        blocker.execute(text("SELECT 1 FROM ocms_valid_offence_notice WHERE notice_no = 'V000000004' FOR UPDATE"))
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "jobs", "run", "vip-ts-clv"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            waiting = 0
            while time.monotonic() < deadline and not waiting and proc.poll() is None:
                time.sleep(0.1)
                with db_engine.connect() as c:
                    waiting = c.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                            "AND query LIKE 'UPDATE ocms_valid_offence_notice%'"))
            assert waiting, "the job never reached its UPDATE"
            proc.send_signal(signal.SIGKILL)             # dies inside its transaction, blocked on our lock
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
            tx.rollback()
    assert [r.status for r in all_rows(vdb, BatchJobRun, job_name="vip-ts-clv")] == ["RUNNING"]
    deadline = time.monotonic() + 30   # the killed client's backend ends (rolling back) once it notices
    while time.monotonic() < deadline:
        with db_engine.connect() as c:
            if not c.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'UPDATE ocms_valid%' "
                                 "AND pid <> pg_backend_pid()")):
                break
        time.sleep(0.1)
    assert all_rows(vdb, SuspendedNotice) == [] and all_rows(vdb, ChangeOfProcessing) == []
    out = subprocess.run([sys.executable, "-m", "api.cli", "jobs", "run", "vip-ts-clv"], env=env, capture_output=True,
                         text=True, timeout=120)
    result = json.loads(out.stdout)
    assert result["status"] == "SUCCESS" and result["counts"]["suspended"] == 5, out.stderr[-2000:]
    assert len(all_rows(vdb, SuspendedNotice)) == 5 and len(all_rows(vdb, ChangeOfProcessing)) == 5
    assert get(vdb, ValidOffenceNotice, "V000000004").epr_reason_of_suspension == "CLV"
