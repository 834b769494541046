"""vehicle_history: the intake's one read of a vehicle's other notices equals what each question asks alone.

Property (hypothesis): for any history of notices and any question (window, PS reasons, same-day check,
excluded number), the one statement's candidates and counts equal a brute-force reading of the same rows in
Python (BR-AN-DUP-002 candidates: dated within the window, both ends in; BR-AN-QUAL-002: dated in
``[since, t)``; BR-AN-SAMEDAY-001: ANs of the day) and the separate query :func:`count_past_offences`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, insert

from repository.models import ValidOffenceNotice
from repository.queries import count_past_offences, vehicle_history

T = datetime(2026, 1, 15, 10, 30)
VEHICLES = ("SBA1234A", "SBB2222B")

rows_strategy = st.lists(st.fixed_dictionaries({
    "vehicle": st.sampled_from(VEHICLES),
    # near the notice (seconds apart, both sides), or months back
    "offset": st.one_of(st.integers(-7200, 7200), st.integers(-86400 * 800, 86400 * 2)),
    "an_flag": st.sampled_from(["Y", "N"]),
    "suspension": st.sampled_from([None, ("PS", "ANS"), ("PS", "DBB"), ("TS", "ANS")]),
}), max_size=14)

question_strategy = st.fixed_dictionaries({
    "within": st.sampled_from([0, 1, 60, 3600]),
    "months_back": st.sampled_from([0, 1, 24]),
    "ps_reasons": st.sampled_from([None, ["ANS"], ["ANS", "DBB"]]),
    "same_day": st.booleans(),
    "exclude_first": st.booleans(),
})


def _rows(spec: list[dict]) -> list[dict]:
    out = []
    for i, r in enumerate(spec):
        when = T + timedelta(seconds=r["offset"])
        stype, reason = r["suspension"] or (None, None)
        out.append({"notice_no": f"H{i:08d}", "vehicle_no": r["vehicle"], "notice_date_and_time": when,
                    "offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100 + i,
                    "composition_amount": 70, "amount_payable": 70, "last_processing_stage": "NPA",
                    "an_flag": r["an_flag"], "suspension_type": stype, "epr_reason_of_suspension": reason,
                    "pp_code": f"P{i % 3}"})
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=rows_strategy, q=question_strategy)
def test_one_read_equals_each_question_alone(session, engine, spec, q):
    session.execute(delete(ValidOffenceNotice))
    rows = _rows(spec)
    if rows:
        session.execute(insert(ValidOffenceNotice), rows)
    session.flush()
    vehicle = VEHICLES[0]
    within = timedelta(seconds=q["within"])
    since = T - timedelta(days=30 * q["months_back"])
    day = T.replace(hour=0, minute=0) if q["same_day"] else None
    exclude = rows[0]["notice_no"] if (rows and q["exclude_first"]) else None
    statements = []

    def count(*_):
        statements.append(1)
    event.listen(engine, "before_cursor_execute", count)
    try:
        h = vehicle_history(session, vehicle, T, within=within, since=since, ps_reasons=q["ps_reasons"],
                            same_day_start=day, exclude_notice_no=exclude)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1

    mine = [r for r in rows if r["vehicle_no"] == vehicle and r["notice_no"] != exclude]
    near = sorted((r for r in mine if T - within <= r["notice_date_and_time"] <= T + within),
                  key=lambda r: (r["notice_date_and_time"], r["notice_no"]))
    assert h.near == [(r["notice_no"], r["vehicle_no"], r["computer_rule_code"], r["notice_date_and_time"],
                       r["pp_code"]) for r in near]
    past = [r for r in mine if since <= r["notice_date_and_time"] < T]
    assert h.past_offences == len(past) == count_past_offences(session, vehicle, since, T, exclude_notice_no=exclude)
    if q["ps_reasons"] is None:
        assert h.past_qualifying_offences is None
    else:
        want = [r for r in past if r["suspension_type"] == "PS" and r["epr_reason_of_suspension"] in q["ps_reasons"]]
        assert h.past_qualifying_offences == len(want) == count_past_offences(
            session, vehicle, since, T, ps_reasons=q["ps_reasons"], exclude_notice_no=exclude)
    if day is None:
        assert h.same_day_ans is None
    else:
        assert h.same_day_ans == len([r for r in mine if r["an_flag"] == "Y"
                                      and day <= r["notice_date_and_time"] < day + timedelta(days=1)])
    session.rollback()
