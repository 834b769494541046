"""Fixtures of the VIP area: an app with every caller's key on seeded reference data, row helpers."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

KEYS = {"repccs": "repccs-test-key", "ces": "ces-test-key", "cas": "cas-test-key", "admin": "admin-test-key"}


@pytest.fixture
def vip_app(make_seeded_app):
    return make_seeded_app(OCMS_API_KEYS=dict(KEYS))


@pytest.fixture
def vdb(vip_app):
    from api.database import get_db
    return get_db(vip_app)


@pytest.fixture
def registry(vip_app):
    from api.decisions.service import get_rules
    return get_rules(vip_app).registry


def notice_row(notice_no: str, vehicle_no: str = "VIP1234A", vtype: str = "V", **cols) -> dict:
    if "vehicle_registration_type" in cols:
        vtype = cols.pop("vehicle_registration_type")
    """A notice row (columns of ocms_valid_offence_notice) with sensible defaults."""
    row = {"notice_no": notice_no, "vehicle_no": vehicle_no, "notice_date_and_time": dt.datetime(2026, 1, 5, 9, 0),
           "offence_notice_type": "O", "vehicle_registration_type": vtype, "computer_rule_code": 10100,
           "composition_amount": Decimal("70.00"), "amount_payable": Decimal("70.00"), "an_flag": "N",
           "payment_acceptance_allowed": "Y", "cre_user_id": "test", "cre_date": dt.datetime(2026, 1, 5, 9, 1)}
    row.update(cols)
    return row


def insert_notices(db, rows: list[dict], mirror: bool = True) -> None:
    from sqlalchemy import insert

    from repository.models import EValidOffenceNotice, ValidOffenceNotice
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), rows)
        if mirror:
            uow.session.execute(insert(EValidOffenceNotice), rows)
        uow.commit()


def get(db, model, *key):
    with db.session() as s:
        row = s.get(model, key if len(key) > 1 else key[0])
        if row is not None:
            s.expunge(row)
        return row


def all_rows(db, model, **where) -> list:
    with db.session() as s:
        out = list(s.scalars(select(model).filter_by(**where)))
        for r in out:
            s.expunge(r)
        return out


@pytest.fixture
def refuse_updates_of(db_engine):
    """Make the database itself refuse any UPDATE of the given notices (a trigger), until the test ends."""
    from sqlalchemy import text
    made = []

    def refuse(*notice_nos: str) -> None:
        names = ", ".join(f"'{n}'" for n in notice_nos)
        with db_engine.begin() as c:
            if db_engine.dialect.name == "postgresql":
                c.execute(text(f"""CREATE OR REPLACE FUNCTION vip_test_refuse() RETURNS trigger AS $$
                    BEGIN IF NEW.notice_no IN ({names}) THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
                    RETURN NEW; END $$ LANGUAGE plpgsql"""))
                c.execute(text("CREATE TRIGGER vip_test_refuse BEFORE UPDATE ON ocms_valid_offence_notice "
                               "FOR EACH ROW EXECUTE FUNCTION vip_test_refuse()"))
            else:
                c.execute(text(f"CREATE TRIGGER vip_test_refuse BEFORE UPDATE ON ocms_valid_offence_notice "
                               f"WHEN NEW.notice_no IN ({names}) BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"))
        made.append(True)

    yield refuse
    if made:
        with db_engine.begin() as c:
            if db_engine.dialect.name == "postgresql":
                c.execute(text("DROP TRIGGER IF EXISTS vip_test_refuse ON ocms_valid_offence_notice"))
                c.execute(text("DROP FUNCTION IF EXISTS vip_test_refuse()"))
            else:
                c.execute(text("DROP TRIGGER IF EXISTS vip_test_refuse"))


class Killed(SystemExit):
    """The process 'dies' here (SystemExit passes every `except Exception`)."""


@pytest.fixture
def die_at(vdb):
    """``die_at("INSERT INTO ocms_change_of_processing", nth=1)``: the run dies when it sends that statement."""
    from sqlalchemy import event
    hooks = []

    def arm(fragment: str, nth: int = 1) -> None:
        seen = [0]

        def before(conn, cursor, statement, parameters, context, executemany):
            if fragment in statement:
                seen[0] += 1
                if seen[0] == nth:
                    raise Killed(f"killed at {fragment!r}")
        event.listen(vdb.engine, "before_cursor_execute", before)
        hooks.append(before)

    yield arm
    for h in hooks:
        event.remove(vdb.engine, "before_cursor_execute", h)


@pytest.fixture
def fast_retries(rules_dir):
    """The rules in service retry external calls without waiting (stage_progression's backoff 0)."""
    f = rules_dir / "stage_progression.yaml"
    f.write_text(f.read_text().replace("retry_backoff_seconds: 2", "retry_backoff_seconds: 0"))
    return rules_dir


@pytest.fixture
def externals(tmp_path, fast_retries):
    """LTA, MHA, DataHive and the print vendor's SFTP server on loopback, and the settings pointing at them."""
    from simulators.datahive import DataHiveSimulator
    from simulators.lta import LtaSimulator
    from simulators.mha import MhaSimulator
    from simulators.sftp import SftpSimulator

    lta, mha, dh = LtaSimulator().start(), MhaSimulator().start(), DataHiveSimulator().start()
    sftp = SftpSimulator(tmp_path / "vendor", password="vendor-pw").start()
    known = sftp.write_known_hosts(tmp_path / "known_hosts")

    class Externals:
        pass
    x = Externals()
    x.lta, x.mha, x.datahive, x.sftp = lta, mha, dh, sftp
    x.env = {"OCMS_LTA_URL": lta.url, "OCMS_MHA_URL": mha.url, "OCMS_DATAHIVE_URL": dh.url,
             "OCMS_SFTP_HOST": "127.0.0.1", "OCMS_SFTP_PORT": str(sftp.port), "OCMS_SFTP_USER": "ocms",
             "OCMS_SFTP_PASSWORD": "vendor-pw", "OCMS_SFTP_KNOWN_HOSTS": str(known), "OCMS_SFTP_DIR": "/print",
             "OCMS_LTA_TIMEOUT": "1", "OCMS_MHA_TIMEOUT": "1", "OCMS_DATAHIVE_TIMEOUT": "1",
             "OCMS_HTTP_BACKOFF": "0", "OCMS_SFTP_TIMEOUT": "5", "OCMS_RULES_DIR": str(fast_retries)}
    yield x
    for s in (lta, mha, dh, sftp):
        s.stop()


def run_job_with(db, env: dict, name: str, key: str | None = None, force: bool = False) -> dict:
    """``run_job`` with ``env`` as the process environment (what ``ocms jobs run`` would see)."""
    import os
    from unittest import mock

    from api.areas import load_jobs
    from api.jobs import run_job
    load_jobs()
    with mock.patch.dict(os.environ, env):
        return run_job(db, name, key, force=force)
