"""What the office reads and files: each watch keeps its record's title and its own check
interval (``add --every``), and each version who reviewed its changes, when, with what note
(the review trail).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The title is None until the trial's next version, or the first `list`, reads it.
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_title", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("check_every", sa.Integer(), nullable=True))
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("review_note")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.drop_column("check_every")
        batch_op.drop_column("record_title")
