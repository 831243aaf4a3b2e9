"""Each version says whether its alert was queued: an alert is derived again from the
versions not alerted yet, so that a full disk or a lost database connection between storing a
version and queuing its alert never loses the alert (the message and the mark are written in
one transaction). Versions stored before this count as alerted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alerted", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # Each run looks for the versions not alerted: an index of those alone (none, mostly).
    op.create_index(
        "ix_snapshot_unalerted",
        "snapshot",
        ["fetched_at"],
        sqlite_where=sa.text("alerted = 0"),
        postgresql_where=sa.text("NOT alerted"),
    )


def downgrade() -> None:
    op.drop_index("ix_snapshot_unalerted", table_name="snapshot")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("alerted")
