"""Read and write ``ocms_parameter`` settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..base import SYSTEM_USER, now
from ..reference import Parameter


def get_parameter(session: Session, parameter_id: str, code: str, default: str | None = None) -> str | None:
    """Return the value of parameter ``(parameter_id, code)``, or ``default``."""
    row = session.get(Parameter, (parameter_id, code))
    return default if row is None else row.value


def get_int_parameter(session: Session, parameter_id: str, code: str, default: int | None = None) -> int | None:
    """Return parameter ``(parameter_id, code)`` as an int, or ``default`` if absent.

    Raises ValueError if the stored value is not an integer.
    """
    value = get_parameter(session, parameter_id, code)
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(f"parameter {parameter_id}/{code} is not an integer: {value!r}") from None


def get_parameters(session: Session, parameter_id: str) -> dict[str, str]:
    """Return every ``code -> value`` of the family ``parameter_id`` (e.g. all NEXT_STAGE rows)."""
    stmt = select(Parameter.code, Parameter.value).where(Parameter.parameter_id == parameter_id)
    return {code: value for code, value in session.execute(stmt.order_by(Parameter.code))}


def set_parameter(
    session: Session,
    parameter_id: str,
    code: str,
    value: str,
    *,
    description: str | None = None,
    user_id: str = SYSTEM_USER,
) -> Parameter:
    """Create or update parameter ``(parameter_id, code)``; return the row (flushed)."""
    row = session.get(Parameter, (parameter_id, code))
    if row is None:
        row = Parameter(
            parameter_id=parameter_id, code=code, value=str(value),
            description=description, cre_user_id=user_id, cre_date=now(),
        )
        session.add(row)
    else:
        row.value = str(value)
        if description is not None:
            row.description = description
        row.upd_user_id = user_id
        row.upd_date = now()
    session.flush()
    return row
