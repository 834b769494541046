"""Furnish application ids: ``FA`` + business date + a daily serial, e.g. ``FA20260115001`` (OCMS 14 tab 4 step 2).

The serial counts the day's applications from 001 (more than 999 in a day
simply makes it longer: ``FA202601151000``). It comes from a counter row,
``ocms_parameter`` (FURNISH_APP_SEQ, yyyymmdd), created or advanced by ONE
upsert (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``) inside the
submission's own transaction: concurrent submissions queue on the row and get
consecutive serials, and a refused submission rolls its serial back, so ids are
unique and without gaps. An id already taken (an application loaded by other
means) is skipped.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, cast, exists, select
from sqlalchemy.orm import Session

from repository.base import SYSTEM_USER, now
from repository.models import EFurnishApplication, FurnishApplication, Parameter

PREFIX = "FA"
COUNTER_ID = "FURNISH_APP_SEQ"
SERIAL_WIDTH = 3


def format_application_id(day: dt.date, serial: int) -> str:
    """``FA`` + ``yyyymmdd`` + the serial, zero-padded to at least three digits."""
    return f"{PREFIX}{day:%Y%m%d}{serial:0{SERIAL_WIDTH}d}"


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def next_serial(session: Session, day: dt.date) -> int:
    """Advance the day's counter by one (creating it at 1) and return it; inside the caller's transaction."""
    insert = _insert(session)
    stamp = now()
    stmt = insert(Parameter).values(parameter_id=COUNTER_ID, code=f"{day:%Y%m%d}", value="1",
                                    description="Last furnish application serial of the day (api/furnish/application_ids.py)",
                                    cre_date=stamp, cre_user_id=SYSTEM_USER)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Parameter.parameter_id, Parameter.code],
        set_={"value": cast(cast(Parameter.value, Integer) + 1, String(30)), "upd_date": stamp,
              "upd_user_id": SYSTEM_USER},
    ).returning(Parameter.value)
    return int(session.execute(stmt).scalar_one())


def new_application_id(session: Session, day: dt.date) -> str:
    """A furnish application id for business day ``day`` that no application (internet or intranet) has."""
    while True:
        candidate = format_application_id(day, next_serial(session, day))
        taken = session.scalar(select(
            exists().where(EFurnishApplication.application_id == candidate)
            | exists().where(FurnishApplication.application_id == candidate)))
        if not taken:
            return candidate


__all__ = ["COUNTER_ID", "PREFIX", "format_application_id", "new_application_id", "next_serial"]
