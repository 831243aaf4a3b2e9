"""When each watched trial's record was last fetched from its register: a check between two
full sweeps may find it unchanged from the register's word alone (CT.gov's list of the studies
updated since a date), and the next full sweep is due from this time. Until now every
successful check fetched the record, so it starts as the last successful check.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE watch SET fetched_at = last_success_at")


def downgrade() -> None:
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.drop_column("fetched_at")
