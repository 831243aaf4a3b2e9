"""zstd dictionaries trained per register (store.codec): a version stored on its own after
one is trained names it in its codec (``zstd+d1``); versions stored before are untouched and
read as they were written.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "codec_dictionary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("record_dict", sa.LargeBinary(), nullable=False),
        sa.Column("raw_dict", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codec_dictionary")),
    )
    op.create_index(
        op.f("ix_codec_dictionary_source"), "codec_dictionary", ["source"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_codec_dictionary_source"), table_name="codec_dictionary")
    op.drop_table("codec_dictionary")
