"""VIP vehicle notices and stage progression (OCMS 14): letter deliveries, pending offender checks, due-date indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOTICE_TABLES = ('ocms_valid_offence_notice', 'eocms_valid_offence_notice')


def upgrade() -> None:
    op.create_table('ocms_letter_delivery',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('file_name', sa.String(length=100), nullable=False),
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('letter_type', sa.String(length=10), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('remote_path', sa.String(length=300), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=False),
    sa.Column('job_name', sa.String(length=50), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_letter_delivery')),
    sa.UniqueConstraint('file_name', name=op.f('uq_ocms_letter_delivery_file_name'))
    )
    op.create_index('ix_ocms_letter_delivery_notice_no', 'ocms_letter_delivery', ['notice_no', 'letter_type'],
                    unique=False)
    op.create_table('ocms_pending_check',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('owner_driver_indicator', sa.String(length=3), nullable=False),
    sa.Column('id_no', sa.String(length=20), nullable=False),
    sa.Column('system', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=3), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_tried_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_pending_check'))
    )
    op.create_index('ix_ocms_pending_check_open', 'ocms_pending_check', ['system', 'resolved_at'], unique=False)
    for t in NOTICE_TABLES:
        op.create_index(f'ix_{t}_next_date', t, ['next_processing_date'], unique=False)
        op.create_index(f'ix_{t}_epr_reason_revival', t, ['epr_reason_of_suspension', 'due_date_of_revival'],
                        unique=False)


def downgrade() -> None:
    for t in NOTICE_TABLES:
        op.drop_index(f'ix_{t}_epr_reason_revival', table_name=t)
        op.drop_index(f'ix_{t}_next_date', table_name=t)
    op.drop_index('ix_ocms_pending_check_open', table_name='ocms_pending_check')
    op.drop_table('ocms_pending_check')
    op.drop_index('ix_ocms_letter_delivery_notice_no', table_name='ocms_letter_delivery')
    op.drop_table('ocms_letter_delivery')
