"""Each watch keeps its latest record's recruitment status, for the web view's list (one
query, no record unpacked). The titles are cleared with it: the next `list` or page of the web
view reads title and status once from each trial's latest record, and keeps them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_status", sa.String(length=200), nullable=True))
    op.execute("UPDATE watch SET record_title = NULL")


def downgrade() -> None:
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.drop_column("record_status")
