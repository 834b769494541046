"""Shared fixtures of the Advisory Notice tests."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

#: The business day the intake tests' notices are dated (their payloads say 2026-01-15T08:30:00).
NOTICE_DAY = dt.datetime(2026, 1, 15, 12, 0, tzinfo=ZoneInfo("Asia/Singapore"))


@pytest.fixture
def notice_day(time_machine):
    """The clock stands at noon of the notices' day (Singapore time), and keeps ticking.

    The past-offence window starts at currentDate - 24 months (OCMS 10 §3.1), so
    tests with fixed dates would change meaning as the calendar moves on.
    """
    # A timestamp, not the aware datetime: time-machine would also set TZ to its zone, and these tests must
    # hold whatever the host's zone is (CI runs them under America/New_York too).
    time_machine.move_to(NOTICE_DAY.timestamp(), tick=True)
    return NOTICE_DAY
