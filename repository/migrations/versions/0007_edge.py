"""Edge (issue 10): webhook receipts (one notice per transactionId and source); callers up to 64 characters.

* ``ocms_webhook_receipt`` — key (source, transaction_id): a repeated REPCCS/CES
  transaction never creates a second notice (DESIGN.md §10).
* ``ocms_decision_log.caller`` and ``ocms_report_file.created_by`` widen from 50
  to 64: they hold ``"jwt:" + sub`` and a token's ``sub`` may have 50 characters.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _widen(old: int, new: int) -> None:
    """ocms_decision_log.caller and ocms_report_file.created_by from VARCHAR(old) to VARCHAR(new).

    PostgreSQL: ALTER COLUMN TYPE (on the partitioned decision log it reaches every partition). SQLite does not
    enforce a VARCHAR's length: only the declared type changes, in place (a batch rebuild of the decision log
    would re-create its indexes and change the planner's choice between them).
    """
    bind = op.get_bind()
    for table, column in (("ocms_decision_log", "caller"), ("ocms_report_file", "created_by")):
        if bind.dialect.name == "sqlite":
            _sqlite_declared_type(bind, table, column, f"VARCHAR({old})", f"VARCHAR({new})")
        else:
            op.alter_column(table, column, existing_type=sa.String(length=old), type_=sa.String(length=new),
                            existing_nullable=True)


def _sqlite_declared_type(bind, table: str, column: str, old: str, new: str) -> None:
    """Change a column's declared type in SQLite's schema text (the documented writable_schema procedure)."""
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    changed = sql.replace(f"{column} {old}", f"{column} {new}", 1)
    if changed == sql:
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (changed, table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    op.create_table(
        "ocms_webhook_receipt",
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("transaction_id", sa.String(length=50), nullable=False),
        sa.Column("notice_no", sa.String(length=10), nullable=False),
        sa.Column("notice_no_generated", sa.String(length=1), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("cre_date", sa.DateTime(), nullable=False),
        sa.Column("cre_user_id", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("source", "transaction_id", name=op.f("pk_ocms_webhook_receipt")),
    )
    _widen(50, 64)


def downgrade() -> None:
    _widen(64, 50)
    op.drop_table("ocms_webhook_receipt")
