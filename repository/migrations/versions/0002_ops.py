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


def _rebuild(partitioned: bool) -> None:
    """PostgreSQL: the decision log rebuilt (partitioned or plain) with the same columns, rows and id sequence.

    ``LIKE … INCLUDING DEFAULTS`` copies whatever columns the table has now
    (types, NOT NULL, the id sequence default), so earlier migrations that
    changed a column are kept as they are.
    """
    op.rename_table(TABLE, OLD)
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_{TABLE} TO pk_{OLD}")
    for name, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS)"
               + (" PARTITION BY RANGE (decided_at)" if partitioned else ""))
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY "
               + ("(id, decided_at)" if partitioned else "(id)"))
    op.execute(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
    for name, cols in INDEXES if partitioned else INDEXES[:2]:
        op.create_index(name, TABLE, cols, unique=False)
    if partitioned:
        bind = op.get_bind()
        oldest = bind.execute(sa.text(f"SELECT MIN(decided_at) FROM {OLD}")).scalar()
        today = dt.date.today()
        partitions.ensure_month_partitions(bind, today, ahead=3,
                                           since=min(oldest.date(), today) if oldest else today)
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    op.execute(f"DROP TABLE {OLD} CASCADE")  # CASCADE: and its partitions, when it had some


def upgrade() -> None:
    with op.batch_alter_table('ocms_batch_job_run') as batch:
        batch.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=20),
                           existing_nullable=False)
    if op.get_bind().dialect.name == 'postgresql':
        _rebuild(partitioned=True)
        return
    op.drop_index('ix_ocms_decision_log_subject', table_name=TABLE)
    op.create_index('ix_ocms_decision_log_subject', TABLE, ['subject', 'decided_at', 'id'], unique=False)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql' and partitions.is_partitioned(bind):
        _rebuild(partitioned=False)
    else:
        op.drop_index('ix_ocms_decision_log_subject', table_name=TABLE)
    op.create_index('ix_ocms_decision_log_subject', TABLE, ['subject', 'decided_at'], unique=False)
    op.execute("UPDATE ocms_batch_job_run SET status = 'SKIPPED' WHERE status = 'SKIPPED_RUNNING'")
    with op.batch_alter_table('ocms_batch_job_run') as batch:
        batch.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=10),
                           existing_nullable=False)
