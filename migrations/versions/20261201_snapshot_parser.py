"""Each version names the parser that read it (adapter and parser version), so that a release
that reads a register differently compares like with like.

Versions stored before have none: the first check after the upgrade reads them again from
their kept raw payloads (watcher/reread.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parser", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("parser")
