"""Internet mirror writes that fail are queued and retried by ``ocms jobs run mirror-retry``; notice numbers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from api.advisory.notice_numbers import CHECK_LETTERS, check_letter, format_notice_no, is_generated_format
from repository.models import ESuspendedNotice, EValidOffenceNotice, ManualReviewQueue, ValidOffenceNotice

from tests.api.notifications.conftest import notifier  # noqa: F401  (fixture: the an-notifications job)

from .test_intake import REPCCS, KEYS, an_app, history, payload, post, session  # noqa: F401

pytestmark = pytest.mark.usefixtures("notice_day")  # conftest.py: the notices' business day


def _fail_mirrors(an_app):
    from api.advisory.routes import intake_deps

    def down(session_, notice_no):
        raise ConnectionError("internet zone unreachable")
    with an_app.app_context():
        intake_deps().mirror_writer = down


def test_failed_mirror_is_queued_and_the_notice_still_created(post, session, an_app):
    _fail_mirrors(an_app)
    r = post(REPCCS, payload())
    assert r.status_code == 200
    assert session.get(ValidOffenceNotice, "500400058A") is not None
    assert session.get(EValidOffenceNotice, "500400058A") is None
    (q,) = session.scalars(select(ManualReviewQueue)).all()
    assert (q.notice_no, q.review_type, q.status) == ("500400058A", "MIRROR_SYNC", "OPEN")
    assert q.details["attempts"] == 1 and "internet zone unreachable" in q.details["lastError"]


def test_mirror_retry_job_writes_the_mirror(post, session, an_app, runner, notifier):
    _fail_mirrors(an_app)
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    post(REPCCS, payload())                                  # qualified: pending notification
    post(REPCCS, payload(noticeNo="500400059B", vehicleNo="SBB2222B"))  # standard
    assert notifier(an_app)["psAns"] == 1                    # notified: PS-ANS (OCMS 10 §3.7)
    session.execute(ESuspendedNotice.__table__.delete())  # the AN's mirror (written by apply_actions) lost too
    session.execute(EValidOffenceNotice.__table__.delete())
    session.commit()
    r = runner.invoke(["jobs", "run", "mirror-retry", "--key", "t1"])
    assert r.exit_code == 0, r.output + r.stderr
    assert '"resolved": 2' in r.output
    session.expire_all()
    for no in ("500400058A", "500400059B"):
        n, m = session.get(ValidOffenceNotice, no), session.get(EValidOffenceNotice, no)
        assert m is not None and (m.an_flag, m.suspension_type, m.epr_reason_of_suspension) == \
            (n.an_flag, n.suspension_type, n.epr_reason_of_suspension)
    assert [s.reason_of_suspension for s in session.scalars(select(ESuspendedNotice))] == ["ANS"]
    assert {q.status for q in session.scalars(select(ManualReviewQueue))} == {"RESOLVED"}
    r = runner.invoke(["jobs", "run", "mirror-retry", "--key", "t2"])   # nothing left: idempotent
    assert '"open": 0' in r.output


def test_mirror_retry_failing_again_keeps_the_row_open(post, session, an_app):
    from api.advisory.mirror import retry_mirrors
    from api.database import get_db
    _fail_mirrors(an_app)
    post(REPCCS, payload())

    def still_down(session_, notice_no):
        raise ConnectionError("still down")
    with get_db(an_app).unit_of_work() as uow:
        assert retry_mirrors(uow.session, writer=still_down) == {"open": 1, "resolved": 0, "failed": 1}
        uow.commit()
    session.expire_all()
    (q,) = session.scalars(select(ManualReviewQueue)).all()
    assert q.status == "OPEN" and q.details["attempts"] == 2 and "still down" in q.details["lastError"]


# ---- notice numbers ------------------------------------------------------------------------------------------
def test_check_letter_rule():
    assert len(CHECK_LETTERS) == 23 and not set("IOU") & set(CHECK_LETTERS)
    # 9*9 + 8*0 + ... + 1*1 = 82; 82 mod 23 = 13 -> CHECK_LETTERS[13] = 'P'
    assert check_letter("900000001") == "P" and format_notice_no(900000001) == "900000001P"
    assert is_generated_format("900000001P") and not is_generated_format("900000001A")


def test_check_letter_catches_one_wrong_digit_and_neighbour_swaps():
    base = "123456789"
    letter = check_letter(base)
    for i in range(9):
        for d in "0123456789":
            if d != base[i]:
                assert check_letter(base[:i] + d + base[i + 1:]) != letter
    for i in range(8):
        swapped = base[:i] + base[i + 1] + base[i] + base[i + 2:]
        assert check_letter(swapped) != letter


@pytest.mark.parametrize("bad", ["12345678", "12345678A", "1234567890"])
def test_check_letter_needs_nine_digits(bad):
    with pytest.raises(ValueError):
        check_letter(bad)
