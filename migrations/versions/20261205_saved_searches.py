"""Saved searches (``watcher follow``): each search, and each stay of a trial in its results
(when it entered, when and why it left), so that a search's history is kept compactly
however often it runs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("watch", sa.Boolean(), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("every", sa.String(length=32), nullable=True),
        _time("created_at", nullable=False),
        _time("last_run_at"),
        _time("next_run_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("capped", sa.Boolean(), nullable=False),
        _time("unfollowed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search")),
        sa.UniqueConstraint("name", name=op.f("uq_search_name")),
    )
    op.create_table(
        "search_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.String(length=64), nullable=False),
        _time("entered_at", nullable=False),
        _time("left_at"),
        sa.Column("why_left", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("sponsor", sa.Text(), nullable=True),
        sa.Column("registered", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["search.id"],
            name=op.f("fk_search_match_search_id_search"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_match")),
    )
    op.create_index("ix_search_match_current", "search_match", ["search_id", "left_at"])


def downgrade() -> None:
    op.drop_index("ix_search_match_current", table_name="search_match")
    op.drop_table("search_match")
    op.drop_table("search")
