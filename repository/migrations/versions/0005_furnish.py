"""Furnish driver/hirer (OCMS 14 tab 4): furnish pending on notices, the intranet application's checks and review,
one pending internet application per notice.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOTICE_TABLES = ('ocms_valid_offence_notice', 'eocms_valid_offence_notice')
PENDING = sa.text("status = 'PENDING_APPROVAL'")


def upgrade() -> None:
    for table in NOTICE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('furnish_pending_flag', sa.String(length=1), nullable=True))
    with op.batch_alter_table('ocms_furnish_application') as batch:
        batch.add_column(sa.Column('checked_date', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('check_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch.add_column(sa.Column('last_check_error', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('check_result', sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column('review_reason', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('decision_remarks', sa.String(length=200), nullable=True))
    op.create_index('ix_ocms_furnish_application_status', 'ocms_furnish_application', ['status', 'submitted_date'],
                    unique=False)
    op.create_index('uq_eocms_furnish_application_pending', 'eocms_furnish_application', ['notice_no'], unique=True,
                    sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index('uq_eocms_furnish_application_pending', table_name='eocms_furnish_application')
    op.drop_index('ix_ocms_furnish_application_status', table_name='ocms_furnish_application')
    with op.batch_alter_table('ocms_furnish_application') as batch:
        for column in ('decision_remarks', 'review_reason', 'check_result', 'last_check_error', 'check_attempts',
                       'checked_date'):
            batch.drop_column(column)
    for table in reversed(NOTICE_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('furnish_pending_flag')
