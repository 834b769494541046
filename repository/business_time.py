"""Business time: the specs' dates and times are Singapore time, whatever the host's zone (DESIGN.md §10).

Every business date and time of the service — "today" and "yesterday", the
dates of suspensions, revivals and stage changes, ``cre_date``/``upd_date``,
report ranges and file stamps, job run keys, the double-booking and
past-offence windows — comes from this module, never from
``datetime.now()``/``date.today()`` (which follow the host's ``TZ``):

    from repository.business_time import now, today
    now()        # naive datetime in the business zone, to the second (the specs' CURRENT_TIMESTAMP)
    today()      # the business date (the specs' CURRENT_DATE)

The zone is ``OCMS_TIMEZONE`` (an IANA name, default ``Asia/Singapore``).
:func:`set_zone` installs it for the process (``create_app`` and the ``ocms``
command call it from the configuration; an unknown name is refused there).
Columns hold naive datetimes in the business zone; a datetime a caller sends
with an offset is converted with :func:`to_business_time`.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_ZONE", "ZONE_ENV", "UnknownZoneError", "business_zone", "day_start", "now", "parse_zone", "set_zone",
    "to_business_time", "today", "yesterday",
]

#: The environment variable naming the business time zone, and its default.
ZONE_ENV = "OCMS_TIMEZONE"
DEFAULT_ZONE = "Asia/Singapore"

_lock = threading.Lock()
_zone: ZoneInfo | None = None


class UnknownZoneError(ValueError):
    """``OCMS_TIMEZONE`` names no IANA time zone."""


def parse_zone(name: str | None) -> ZoneInfo:
    """The zone named ``name`` (default :data:`DEFAULT_ZONE`); :class:`UnknownZoneError` if there is none."""
    name = (name or "").strip() or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZoneError(f"{ZONE_ENV}={name!r} is not an IANA time zone (e.g. {DEFAULT_ZONE})") from None


def set_zone(name: str | dt.tzinfo | None) -> ZoneInfo | dt.tzinfo:
    """Make ``name`` the business zone of this process; return it. ``None``: ``$OCMS_TIMEZONE`` or the default."""
    global _zone
    zone = name if isinstance(name, dt.tzinfo) else parse_zone(name if name is not None else os.environ.get(ZONE_ENV))
    with _lock:
        _zone = zone
    return zone


def business_zone() -> dt.tzinfo:
    """The business zone in force (``$OCMS_TIMEZONE`` or Asia/Singapore until :func:`set_zone` is called)."""
    zone = _zone
    return zone if zone is not None else set_zone(None)


def now() -> dt.datetime:
    """The current business date and time, naive, to the second (the specs' CURRENT_TIMESTAMP)."""
    return dt.datetime.now(business_zone()).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """The current business date (the specs' CURRENT_DATE)."""
    return dt.datetime.now(business_zone()).date()


def yesterday() -> dt.date:
    """The business date before :func:`today` (the default key of the daily jobs that look back a day)."""
    return today() - dt.timedelta(days=1)


def day_start(day: dt.date) -> dt.datetime:
    """00:00:00 of ``day`` as a naive business datetime (the lower bound of "created on ``day``")."""
    return dt.datetime.combine(day, dt.time())


def to_business_time(value: dt.datetime) -> dt.datetime:
    """``value`` as a naive business datetime: an aware one is converted, a naive one is taken as business time."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=None)
    return value.astimezone(business_zone()).replace(tzinfo=None)
