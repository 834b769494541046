"""AN notifications (issue 12, OCMS 10 §3.4-3.7): the work row of each qualified AN's notification flow.

* ``ocms_an_notification`` — one row per qualification (unique notice_no): the
  result of each step (owner particulars, eAN, letter, PS-ANS), the runner that
  claimed it and until when (``repository/notifications.py``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "ocms_an_notification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_no", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("owner_result", sa.String(length=10), nullable=True),
        sa.Column("contact_result", sa.String(length=10), nullable=True),
        sa.Column("sms_result", sa.String(length=10), nullable=True),
        sa.Column("email_result", sa.String(length=10), nullable=True),
        sa.Column("address_result", sa.String(length=10), nullable=True),
        sa.Column("letter_result", sa.String(length=10), nullable=True),
        sa.Column("ps_ans_applied", sa.String(length=1), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("cre_date", sa.DateTime(), nullable=False),
        sa.Column("cre_user_id", sa.String(length=50), nullable=False),
        sa.Column("upd_date", sa.DateTime(), nullable=True),
        sa.Column("upd_user_id", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(["notice_no"], ["ocms_valid_offence_notice.notice_no"],
                                name=op.f("fk_ocms_an_notification_notice_no")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocms_an_notification")),
        sa.UniqueConstraint("notice_no", name=op.f("uq_ocms_an_notification_notice_no")),
    )
    op.create_index("ix_ocms_an_notification_status", "ocms_an_notification", ["status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ocms_an_notification_status", table_name="ocms_an_notification")
    op.drop_table("ocms_an_notification")
