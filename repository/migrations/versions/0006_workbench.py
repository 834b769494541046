"""Published rules versions, worker heartbeats, shadow runs; decision-log parameters (issue 9 item 6, issue 15).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('ocms_rules_blob',
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('content_hash', name=op.f('pk_ocms_rules_blob'))
    )
    op.create_table('ocms_rules_bundle',
    sa.Column('bundle_hash', sa.String(length=64), nullable=False),
    sa.Column('file_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('bundle_hash', name=op.f('pk_ocms_rules_bundle'))
    )
    op.create_table('ocms_rules_bundle_file',
    sa.Column('bundle_hash', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ruleset', sa.String(length=64), nullable=True),
    sa.Column('ruleset_version', sa.String(length=20), nullable=True),
    sa.Column('ruleset_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['bundle_hash'], ['ocms_rules_bundle.bundle_hash'], name=op.f('fk_ocms_rules_bundle_file_bundle_hash')),
    sa.ForeignKeyConstraint(['content_hash'], ['ocms_rules_blob.content_hash'], name=op.f('fk_ocms_rules_bundle_file_content_hash')),
    sa.PrimaryKeyConstraint('bundle_hash', 'file_name', name=op.f('pk_ocms_rules_bundle_file'))
    )
    op.create_index('ix_ocms_rules_bundle_file_ruleset', 'ocms_rules_bundle_file', ['ruleset', 'ruleset_hash'], unique=False)
    op.create_table('ocms_rules_version',
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bundle_hash', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=50), nullable=True),
    sa.Column('source', sa.String(length=500), nullable=True),
    sa.Column('rulesets', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['bundle_hash'], ['ocms_rules_bundle.bundle_hash'], name=op.f('fk_ocms_rules_version_bundle_hash')),
    sa.PrimaryKeyConstraint('generation', name=op.f('pk_ocms_rules_version'))
    )
    op.create_table('ocms_rules_worker',
    sa.Column('worker_id', sa.String(length=120), nullable=False),
    sa.Column('host', sa.String(length=100), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('generation', sa.Integer(), nullable=True),
    sa.Column('bundle_hash', sa.String(length=64), nullable=True),
    sa.Column('shadow_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_ocms_rules_worker'))
    )
    op.create_table('ocms_rules_shadow',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('bundle_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=True),
    sa.Column('rulesets', sa.JSON(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('started_by', sa.String(length=50), nullable=True),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.Column('stopped_by', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['bundle_hash'], ['ocms_rules_bundle.bundle_hash'], name=op.f('fk_ocms_rules_shadow_bundle_hash')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_rules_shadow'))
    )
    op.create_table('ocms_rules_shadow_count',
    sa.Column('shadow_id', sa.Integer(), nullable=False),
    sa.Column('ruleset', sa.String(length=64), nullable=False),
    sa.Column('compared', sa.BigInteger(), nullable=False),
    sa.Column('differed', sa.BigInteger(), nullable=False),
    sa.Column('dropped', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['shadow_id'], ['ocms_rules_shadow.id'], name=op.f('fk_ocms_rules_shadow_count_shadow_id')),
    sa.PrimaryKeyConstraint('shadow_id', 'ruleset', name=op.f('pk_ocms_rules_shadow_count'))
    )
    op.create_table('ocms_rules_shadow_diff',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shadow_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('caller', sa.String(length=50), nullable=True),
    sa.Column('ruleset', sa.String(length=64), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('parameters', sa.JSON(), nullable=True),
    sa.Column('live_outcome', sa.String(length=50), nullable=True),
    sa.Column('shadow_outcome', sa.String(length=50), nullable=True),
    sa.Column('live', sa.JSON(), nullable=True),
    sa.Column('shadow', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['shadow_id'], ['ocms_rules_shadow.id'], name=op.f('fk_ocms_rules_shadow_diff_shadow_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_rules_shadow_diff'))
    )
    op.create_index('ix_ocms_rules_shadow_diff_shadow', 'ocms_rules_shadow_diff', ['shadow_id', 'ruleset', 'id'], unique=False)
    op.add_column('ocms_rules_state', sa.Column('shadow_id', sa.Integer(), nullable=True))
    op.add_column('ocms_rules_state', sa.Column('last_rejected', sa.JSON(), nullable=True))
    op.add_column('ocms_decision_log', sa.Column('parameters', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ocms_decision_log') as batch:
        batch.drop_column('parameters')
    with op.batch_alter_table('ocms_rules_state') as batch:
        batch.drop_column('last_rejected')
        batch.drop_column('shadow_id')
    op.drop_index('ix_ocms_rules_shadow_diff_shadow', table_name='ocms_rules_shadow_diff')
    op.drop_table('ocms_rules_shadow_diff')
    op.drop_table('ocms_rules_shadow_count')
    op.drop_table('ocms_rules_shadow')
    op.drop_table('ocms_rules_worker')
    op.drop_table('ocms_rules_version')
    op.drop_index('ix_ocms_rules_bundle_file_ruleset', table_name='ocms_rules_bundle_file')
    op.drop_table('ocms_rules_bundle_file')
    op.drop_table('ocms_rules_bundle')
    op.drop_table('ocms_rules_blob')
