"""Each watch keeps the other registrations its latest record names (``links``), so that the
trial list shows them without reading every record.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # None until the trial's next version, or the first `list` after the upgrade, reads them.
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("links", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.drop_column("links")
