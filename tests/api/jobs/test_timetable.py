"""The timetable file: what it accepts, the errors it gives (every kind, with its line), fire times and due keys."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.areas import load_jobs
from api.jobs import registry
from api.jobs.timetable import (
    MAX_CATCH_UP,
    Entry,
    TimetableError,
    due_keys,
    load_timetable,
    parse_every,
    parse_timetable,
    render_key,
)

SGT = ZoneInfo("Asia/Singapore")
PROJECT_ROOT = Path(__file__).resolve().parents[3]
KNOWN = ("unqualified-an-list", "mirror-retry", "refresh-vip-vehicles")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SGT)


def test_the_shipped_timetable_names_every_job_with_the_specs_times():
    load_jobs()
    t = load_timetable(PROJECT_ROOT / "timetable.yaml", known_jobs=registry.JOBS)
    jobs = {e.job: e for e in t.entries}
    # every job the service has is on the timetable (a new job must say when it runs)
    assert set(jobs) == set(registry.JOBS) - {"test-slow"}
    assert jobs["unqualified-an-list"].cron == "0 2 * * *"          # OCMS 10 §3.9: 02:00 SGT
    assert jobs["unqualified-an-list"].key_template == "{prev_day}"  # the previous day
    assert jobs["ans-report-daily"].key_template == "{prev_day}"     # OCMS 10 §3.8: the previous business day
    assert jobs["mirror-retry"].every == dt.timedelta(minutes=15)
    assert all(e.enabled for e in t.entries)


def test_business_time_whatever_the_host_zone():
    e = parse_timetable('jobs:\n  unqualified-an-list: {cron: "0 2 * * *", key: "{prev_day}"}\n').entries[0]
    # 02:00 in Singapore is 18:00 UTC the day before
    fires = e.fire_times(SGT, dt.datetime(2026, 1, 14, 17, 0, tzinfo=dt.timezone.utc),
                         dt.datetime(2026, 1, 14, 19, 0, tzinfo=dt.timezone.utc))
    assert fires == [at(2026, 1, 15, 2, 0)]
    assert e.run_key(fires[0]) == "2026-01-14"


@pytest.mark.parametrize("template, expected", [
    ("{date}", "2026-01-15"), ("{prev_day}", "2026-01-14"), ("{fire:%Y-%m-%dT%H%M}", "2026-01-15T0215"),
    ("run-{date}", "run-2026-01-15"),
])
def test_key_templates(template, expected):
    assert render_key(template, at(2026, 1, 15, 2, 15)) == expected


@pytest.mark.parametrize("text, message", [
    ("jobs: [a, b]", "must be a mapping with 'jobs:'"),
    ("jobs:\n  mirror-retry: {cron: '0 2 * *'}\n", "five fields"),
    ("jobs:\n  mirror-retry: {cron: '0 25 * * *'}\n", "cron '0 25 * * *'"),
    ("jobs:\n  mirror-retry: {every: 15x}\n", "every must look like"),
    ("jobs:\n  mirror-retry: {every: 0m}\n", "every must look like"),
    ("jobs:\n  mirror-retry: {cron: '* * * * *', every: 1m}\n", "exactly one of cron or every"),
    ("jobs:\n  mirror-retry: {}\n", "exactly one of cron or every"),
    ("jobs:\n  mirror-retry: {every: 1m, key: '{today}'}\n", "uses {today}"),
    ("jobs:\n  mirror-retry: {every: 1m, key: '{fire.year}'}\n", "uses {fire.year}"),
    ("jobs:\n  mirror-retry: {every: 1m, key: '{date!r}'}\n", "conversions"),
    ("jobs:\n  mirror-retry: {every: 1m, key: '{date'}\n", "key template"),
    ("jobs:\n  mirror-retry: {every: 1m, key: ''}\n", "non-empty template"),
    ("jobs:\n  mirror-retry: {every: 1m, key: '" + "x" * 60 + "'}\n", "at most 50"),
    ("jobs:\n  mirror-retry: {every: 1m, enabled: 'yes please'}\n", "enabled must be true or false"),
    ("jobs:\n  mirror-retry: {every: 1m, catch_up: sometimes}\n", "catch_up must be one of"),
    ("jobs:\n  mirror-retry: {every: 1m, when: now}\n", "unknown field(s) when"),
    ("jobs:\n  no-such-job: {every: 1m}\n", "no job of that name"),
    ("jobs:\n  mirror-retry: 5\n", "expected {cron"),
    ("catch_up_days: 0\njobs: {}\n", "catch_up_days must be"),
    ("colour: blue\njobs: {}\n", "unknown setting 'colour'"),
    ("jobs:\n  mirror-retry: {every: 1m\n", "not valid YAML"),
])
def test_every_kind_of_mistake_is_named_with_its_line(text, message):
    with pytest.raises(TimetableError) as e:
        parse_timetable(text, "tt.yaml", known_jobs=KNOWN)
    assert any(message in err for err in e.value.errors), e.value.errors
    assert all(err.startswith("tt.yaml:") for err in e.value.errors)


def test_all_mistakes_are_listed_at_once_with_their_lines():
    text = "jobs:\n  mirror-retry: {every: 15x}\n  unqualified-an-list: {cron: nope}\n"
    with pytest.raises(TimetableError) as e:
        parse_timetable(text, "tt.yaml", known_jobs=KNOWN)
    assert [err.split(":")[1] for err in e.value.errors] == ["2", "3"]


def test_an_unreadable_file_is_a_timetable_error(tmp_path):
    with pytest.raises(TimetableError, match="cannot read"):
        load_timetable(tmp_path / "missing.yaml")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_timetable_or_a_timetable_error(text):
    try:
        parse_timetable(text, "tt.yaml", known_jobs=KNOWN)
    except TimetableError as e:
        assert e.errors


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 90), unit=st.sampled_from("smhd"),
       now=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)),
       drift=st.integers(0, 10_000))
def test_every_fires_at_the_same_instants_on_every_machine(n, unit, now, drift):
    """Two machines whose clocks differ within one period agree on the latest fire time and its key."""
    e = Entry("mirror-retry", "{fire:%Y%m%dT%H%M%S}", every=parse_every(f"{n}{unit}"))
    step = e.every
    a = now.replace(tzinfo=SGT)
    last = e.recent_fire_times(SGT, a, dt.timedelta(days=1), 1)[-1]
    assert last <= a < last + step
    assert (last - dt.datetime(2000, 1, 1, tzinfo=SGT)) % step == dt.timedelta(0)
    b = last + (step * drift) / 10_001          # another machine's clock, still in the same period
    assert e.recent_fire_times(SGT, b, dt.timedelta(days=1), 1)[-1] == last


# ---- due keys ---------------------------------------------------------------------------------------
DAILY_PREV = Entry("unqualified-an-list", "{prev_day}", cron="0 2 * * *", catch_up="all")
NOW = at(2026, 1, 15, 9, 0)   # 02:00 fires on the 9th..15th are in a 7-day window: keys 2026-01-08..14


def test_all_catches_up_every_missed_day_back_to_the_job_history():
    # ran for the 10th and 11th, then no scheduler for three days
    due = due_keys(DAILY_PREV, SGT, NOW, 7, succeeded={"2026-01-10", "2026-01-11"},
                   seen={"2026-01-10", "2026-01-11"})
    assert due == ["2026-01-12", "2026-01-13", "2026-01-14"]


def test_all_retries_a_failed_key_once_more():
    due = due_keys(DAILY_PREV, SGT, NOW, 7, succeeded={"2026-01-12", "2026-01-14"},
                   seen={"2026-01-12", "2026-01-13", "2026-01-14"})
    assert due == ["2026-01-13"]


def test_a_job_without_history_starts_with_its_latest_key():
    assert due_keys(DAILY_PREV, SGT, NOW, 7, succeeded=set(), seen=set()) == ["2026-01-14"]


def test_nothing_is_due_when_every_key_succeeded():
    keys = {f"2026-01-{d:02d}" for d in range(8, 15)}
    assert due_keys(DAILY_PREV, SGT, NOW, 7, succeeded=keys, seen=keys) == []


def test_last_runs_only_the_latest_missed_key():
    e = Entry("mirror-retry", "{fire:%Y-%m-%dT%H%M}", every=dt.timedelta(minutes=15))
    assert due_keys(e, SGT, at(2026, 1, 15, 9, 7), 7, succeeded={"2026-01-15T0830"}, seen=set()) == \
        ["2026-01-15T0900"]
    assert due_keys(e, SGT, at(2026, 1, 15, 9, 7), 7, succeeded={"2026-01-15T0900"}, seen=set()) == []


def test_none_never_catches_up():
    e = Entry("mirror-retry", "{date}", cron="0 1 * * *", catch_up="none")
    assert due_keys(e, SGT, NOW, 7, set(), set()) == []
    assert due_keys(e, SGT, NOW, 7, set(), set(), policy="last") == ["2026-01-15"]   # its regular fire


def test_last_finds_the_latest_fire_of_a_monthly_job():
    e = Entry("refresh-vip-vehicles", "{date}", cron="0 1 1 * *")
    assert due_keys(e, SGT, NOW, 7, set(), set()) == ["2026-01-01"]


def test_catch_up_is_bounded():
    e = Entry("mirror-retry", "{fire:%Y%m%dT%H%M}", cron="* * * * *", catch_up="all")
    minutes_ago = lambda m: (NOW - dt.timedelta(minutes=m)).strftime("%Y%m%dT%H%M")  # noqa: E731
    assert len(due_keys(e, SGT, NOW, 7, succeeded=set(), seen={minutes_ago(99)})) == MAX_CATCH_UP
    # history older than the last MAX_CATCH_UP fires: like no history, only the latest key
    assert due_keys(e, SGT, NOW, 7, succeeded=set(), seen={minutes_ago(150)}) == [minutes_ago(0)]
