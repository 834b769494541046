"""Edge (issue 10): webhook receipts (one notice per transactionId and source); callers up to 64 characters.

* ``ocms_webhook_receipt`` — key (source, transaction_id): a repeated REPCCS/CES
  transaction never creates a second notice (DESIGN.md §10).
* ``ocms_decision_log.caller`` and ``ocms_report_file.created_by`` widen from 50
  to 64: they hold ``"jwt:" + sub`` and a token's ``sub`` may have 50 characters.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


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
    with op.batch_alter_table("ocms_decision_log") as batch:
        batch.alter_column("caller", existing_type=sa.String(length=50), type_=sa.String(length=64),
                           existing_nullable=True)
    with op.batch_alter_table("ocms_report_file") as batch:
        batch.alter_column("created_by", existing_type=sa.String(length=50), type_=sa.String(length=64),
                           existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("ocms_report_file") as batch:
        batch.alter_column("created_by", existing_type=sa.String(length=64), type_=sa.String(length=50),
                           existing_nullable=True)
    with op.batch_alter_table("ocms_decision_log") as batch:
        batch.alter_column("caller", existing_type=sa.String(length=64), type_=sa.String(length=50),
                           existing_nullable=True)
    op.drop_table("ocms_webhook_receipt")
