"""Declarative base, naming convention and column helpers shared by every model.

Conventions (DESIGN.md §7):

* Timestamps are naive ``DateTime`` in business time (``OCMS_TIMEZONE``, default
  Asia/Singapore, whatever the host's zone: :mod:`repository.business_time`), as
  the specs' ``CURRENT_TIMESTAMP`` / ``CURRENT_DATE`` comparisons assume.
* Money is ``Numeric(10, 2)``; JSON columns use ``sqlalchemy.JSON`` so the same
  schema works on SQLite and PostgreSQL.
* Audit columns are ``cre_date``/``cre_user_id``/``upd_date``/``upd_user_id``.
  Where OCMS 10 writes ``created_date``/``created_by``/``modified_date``/
  ``modified_by`` it means these same columns.
* Constraint and index names follow :data:`NAMING_CONVENTION`, so the
  migration and the models name them identically on every database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import DateTime, MetaData, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from . import business_time

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

#: Database user id the specs write for system actions ("ocmsiz_app_conn").
SYSTEM_USER = "ocmsiz_app_conn"

Money = Numeric(10, 2)


def now() -> datetime:
    """Return the current business time (Singapore by default), naive, to the second (the specs' CURRENT_TIMESTAMP)."""
    return business_time.now()


class Base(DeclarativeBase):
    """Declarative base of every OCMS table; ``Base.metadata`` is the schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {Decimal: Money}


def inserted_after_notice():
    """A many-to-one relationship to the notice, never loaded, that orders a flush: the notice row first.

    SQLAlchemy's unit of work orders a flush's INSERTs by relationships, not by foreign keys; with
    this a new notice and its detail, suspensions and AN notification row (all pending) go in one
    flush, the notice first (the intake: api.advisory.intake). ``lazy="raise"``: reading it is a bug.
    """
    return relationship("ValidOffenceNotice", lazy="raise", viewonly=False)


class AuditMixin:
    """The cre_/upd_ audit columns the OCMS tables carry."""

    cre_date: Mapped[datetime] = mapped_column(DateTime, default=now, nullable=False)
    cre_user_id: Mapped[str] = mapped_column(String(50), default=SYSTEM_USER, nullable=False)
    upd_date: Mapped[Optional[datetime]] = mapped_column(DateTime, onupdate=now)
    upd_user_id: Mapped[Optional[str]] = mapped_column(String(50))


class CreatedMixin:
    """Only the cre_ audit columns, for append-only log tables."""

    cre_date: Mapped[datetime] = mapped_column(DateTime, default=now, nullable=False)
    cre_user_id: Mapped[str] = mapped_column(String(50), default=SYSTEM_USER, nullable=False)
