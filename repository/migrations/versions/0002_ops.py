"""Operations (issue 16): decision log partitioned by month on PostgreSQL; job-run status holds SKIPPED_RUNNING.

* ``ocms_batch_job_run.status`` becomes VARCHAR(20) (``SKIPPED_RUNNING``: another
  runner held the job key's lock).
* ``ix_ocms_decision_log_subject`` becomes ``(subject, decided_at, id)``: the
  decision-log read (``WHERE subject = ? ORDER BY decided_at DESC, id DESC
  LIMIT n``) is then read from the index in order, without a sort.
* PostgreSQL only: ``ocms_decision_log`` becomes ``PARTITION BY RANGE
  (decided_at)`` with one partition per month (from the oldest row's month to
  three months ahead) and a default partition (repository/partitions.py); the
  rows are copied over, ids keep their sequence. The primary key is
  ``(id, decided_at)`` there, as PostgreSQL requires. SQLite keeps a plain table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from repository import partitions

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLE = partitions.TABLE
OLD = f"{TABLE}_unpartitioned"
INDEXES = (
    ('ix_ocms_decision_log_request_id', ['request_id']),
    ('ix_ocms_decision_log_ruleset', ['ruleset', 'decided_at']),
    ('ix_ocms_decision_log_subject', ['subject', 'decided_at', 'id']),
)
COLUMNS = ("id, decided_at, request_id, caller, ruleset, ruleset_version, ruleset_hash, subject, facts, outcome, "
           "outputs, actions, fired_rules, dry_run")


def _columns(id_default: str | None) -> list[sa.Column]:
    return [
        sa.Column('id', sa.BigInteger(), nullable=False,
                  server_default=sa.text(id_default) if id_default else None),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('caller', sa.String(length=50), nullable=True),
        sa.Column('ruleset', sa.String(length=64), nullable=False),
        sa.Column('ruleset_version', sa.String(length=20), nullable=True),
        sa.Column('ruleset_hash', sa.String(length=64), nullable=True),
        sa.Column('subject', sa.String(length=64), nullable=True),
        sa.Column('facts', sa.JSON(), nullable=True),
        sa.Column('outcome', sa.String(length=50), nullable=True),
        sa.Column('outputs', sa.JSON(), nullable=True),
        sa.Column('actions', sa.JSON(), nullable=True),
        sa.Column('fired_rules', sa.JSON(), nullable=True),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table('ocms_batch_job_run') as batch:
        batch.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=20),
                           existing_nullable=False)
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        op.drop_index('ix_ocms_decision_log_subject', table_name=TABLE)
        op.create_index('ix_ocms_decision_log_subject', TABLE, ['subject', 'decided_at', 'id'], unique=False)
        return
    # PostgreSQL: rebuild as a partitioned table, keeping the rows and the id sequence.
    op.rename_table(TABLE, OLD)
    op.execute(f"ALTER INDEX pk_{TABLE} RENAME TO pk_{OLD}")
    for name, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.create_table(TABLE, *_columns(f"nextval('{TABLE}_id_seq'::regclass)"),
                    sa.PrimaryKeyConstraint('id', 'decided_at', name=f'pk_{TABLE}'),
                    postgresql_partition_by='RANGE (decided_at)')
    op.execute(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
    for name, cols in INDEXES:
        op.create_index(name, TABLE, cols, unique=False)
    oldest = bind.execute(sa.text(f"SELECT MIN(decided_at) FROM {OLD}")).scalar()
    today = dt.date.today()
    partitions.ensure_month_partitions(bind, today, ahead=3, since=min(oldest.date(), today) if oldest else today)
    op.execute(f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD}")
    op.drop_table(OLD)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql' and partitions.is_partitioned(bind):
        op.rename_table(TABLE, OLD)
        op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_{TABLE} TO pk_{OLD}")
        for name, _ in INDEXES:
            op.execute(f"ALTER INDEX {name} RENAME TO {name}_p")
        op.create_table(TABLE, *_columns(f"nextval('{TABLE}_id_seq'::regclass)"),
                        sa.PrimaryKeyConstraint('id', name=f'pk_{TABLE}'))
        op.execute(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
        op.execute(f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD}")
        op.execute(f"DROP TABLE {OLD} CASCADE")  # and every partition
        op.create_index('ix_ocms_decision_log_request_id', TABLE, ['request_id'], unique=False)
        op.create_index('ix_ocms_decision_log_ruleset', TABLE, ['ruleset', 'decided_at'], unique=False)
    else:
        op.drop_index('ix_ocms_decision_log_subject', table_name=TABLE)
    op.create_index('ix_ocms_decision_log_subject', TABLE, ['subject', 'decided_at'], unique=False)
    op.execute("UPDATE ocms_batch_job_run SET status = 'SKIPPED' WHERE status = 'SKIPPED_RUNNING'")
    with op.batch_alter_table('ocms_batch_job_run') as batch:
        batch.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=10),
                           existing_nullable=False)
