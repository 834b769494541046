"""Fixtures of the AN notification tests: an app on seeded reference data, the six systems on loopback, rows."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

KEYS = {"repccs": "repccs-test-key", "ces": "ces-test-key", "admin": "admin-test-key"}


@pytest.fixture
def fast_rules(rules_dir):
    """The rules in service retry without waiting and give up on a silent system after 1 s."""
    f = rules_dir / "an_notification_route.yaml"
    text = re.sub(r"(_backoff_seconds): \d+", r"\1: 0", f.read_text())
    text = re.sub(r"(_timeout_seconds): \d+", r"\1: 1", text)
    f.write_text(text)
    return rules_dir


@pytest.fixture
def napp(make_seeded_app, fast_rules, tmp_path):
    return make_seeded_app(OCMS_API_KEYS=dict(KEYS), OCMS_AN_LETTER_DIR=str(tmp_path / "letters"))


@pytest.fixture
def ndb(napp):
    from api.database import get_db
    return get_db(napp)


@pytest.fixture
def registry(napp):
    from api.decisions.service import get_rules
    return get_rules(napp).registry


class Systems:
    """LTA, DataHive, MHA, SMS gateway, email service and SLIFT on loopback, and the settings naming them."""

    def __init__(self):
        from simulators.datahive import DataHiveSimulator
        from simulators.lta import LtaSimulator
        from simulators.messaging import EmailSimulator, SmsSimulator
        from simulators.mha import MhaSimulator
        from simulators.slift import SliftSimulator
        self.lta, self.datahive, self.mha = LtaSimulator(), DataHiveSimulator(), MhaSimulator()
        self.sms, self.email, self.slift = SmsSimulator(), EmailSimulator(), SliftSimulator()
        self.all = (self.lta, self.datahive, self.mha, self.sms, self.email, self.slift)

    def start(self):
        for s in self.all:
            s.start()
        return self

    def stop(self):
        for s in self.all:
            s.stop()

    def reset(self):
        for s in self.all:
            s.reset()

    @property
    def env(self) -> dict:
        return {"OCMS_LTA_URL": self.lta.url, "OCMS_DATAHIVE_URL": self.datahive.url, "OCMS_MHA_URL": self.mha.url,
                "OCMS_SMS_URL": self.sms.url, "OCMS_EMAIL_URL": self.email.url, "OCMS_SLIFT_URL": self.slift.url}


@pytest.fixture
def systems():
    s = Systems().start()
    yield s
    s.stop()


def notice_row(notice_no: str, vehicle_no: str, **cols) -> dict:
    """A qualified AN's notice row (an_flag Y, payment not accepted), dated yesterday."""
    row = {"notice_no": notice_no, "vehicle_no": vehicle_no, "notice_date_and_time": dt.datetime(2026, 1, 14, 8, 30),
           "offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100,
           "composition_amount": Decimal("70.00"), "amount_payable": Decimal("70.00"), "an_flag": "Y",
           "payment_acceptance_allowed": "N", "pp_code": "A0001", "pp_name": "Ang Mo Kio Ave 3 Car Park",
           "subsystem_label": "001", "last_processing_stage": "NPA", "cre_user_id": "test",
           "cre_date": dt.datetime(2026, 1, 14, 8, 31)}
    row.update(cols)
    return row


def qualified(db, rows: list[dict]) -> list[str]:
    """Insert notices (and internet copies) and leave each pending notification, as intake does."""
    from repository.models import AnNotification, EValidOffenceNotice, ValidOffenceNotice
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), rows)
        uow.session.execute(insert(EValidOffenceNotice), rows)
        uow.session.execute(insert(AnNotification), [
            {"notice_no": r["notice_no"], "status": "PENDING", "step": "QUALIFIED", "ps_ans_applied": "N",
             "attempts": 0, "cre_user_id": "test", "cre_date": r["cre_date"]} for r in rows])
        uow.commit()
    return [r["notice_no"] for r in rows]


def many(db, n: int, start: int = 0, prefix: str = "7") -> list[str]:
    """``n`` qualified ANs of vehicles SN<i>A (notice numbers <prefix><i:09d>)."""
    return qualified(db, [notice_row(f"{prefix}{i:09d}", f"SN{i}A") for i in range(start, start + n)])


def run(db, registry, systems: Systems, napp, key: str = "test", letter_dir=None, **kw) -> dict:
    """One run of the flow, as the job runs it (no retry waits)."""
    from api.notifications import run_an_notifications
    config = {**napp.config, **systems.env}
    if letter_dir is not None:
        config["OCMS_AN_LETTER_DIR"] = str(letter_dir)
    with db.unit_of_work() as uow:
        return run_an_notifications(uow, registry, config, key, sleep=lambda s: None, **kw)


def rows(db, model, **where) -> list:
    with db.session() as s:
        out = list(s.scalars(select(model).filter_by(**where)))
        for r in out:
            s.expunge(r)
        return out


def work(db, notice_no: str):
    from repository.models import AnNotification
    (w,) = rows(db, AnNotification, notice_no=notice_no)
    return w


def notice(db, notice_no: str):
    from repository.models import ValidOffenceNotice
    (n,) = rows(db, ValidOffenceNotice, notice_no=notice_no)
    return n


@pytest.fixture
def notifier(tmp_path):
    """``notifier(app)``: the six systems on loopback and one an-notifications run for ``app`` (other areas' tests)."""
    started = []

    def notify(app) -> dict:
        from api.database import get_db
        from api.decisions.service import get_rules
        if not started:
            started.append(Systems().start())
        return run(get_db(app), get_rules(app).registry, started[0], app, letter_dir=tmp_path / "an-letters")

    yield notify
    for s in started:
        s.stop()
