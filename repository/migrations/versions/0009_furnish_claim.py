"""Furnish claims (OCMS 14 tab 4): a furnish-sync run claims the applications it checks before it calls MHA.

``ocms_furnish_application.claimed_by`` (the run that holds the application) and
``claimed_until`` (when the claim lapses, so a crashed run's applications are
taken up again). Concurrent runs each claim a different set of applications,
so each one is checked with MHA once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable columns without defaults: ADD COLUMN in place on both dialects (no table rebuild).
    op.add_column("ocms_furnish_application", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.add_column("ocms_furnish_application", sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ocms_furnish_application") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
