"""What the list triages by, kept when a version is stored so that a page of the list reads no
record: each version's most significant change; each watch's latest change that matters in a
line, and what its red flags read of its versions. Read here once from the stored records.

The significances are those of the default rules: an office whose ``[diff] significance``
changes them gets its own from the next version on (as the versions' change counts always were).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

# The codecs name a stored format (see 0009); the diff, headline and flag facts are the
# core's to say, as when a version is stored.
from watcher.core.diff import diff_records
from watcher.core.flags import fold
from watcher.core.headline import headline
from watcher.store import codec

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
BATCH = 200


def upgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("significance", sa.String(length=8), nullable=True))
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latest_change", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("latest_change_significance", sa.String(length=8), nullable=True)
        )
        batch_op.add_column(
            sa.Column("latest_change_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("flag_facts", JSON, nullable=True))
    # The list counts every trial's unreviewed versions at each page: few, found here.
    op.create_index(
        "ix_snapshot_unreviewed",
        "snapshot",
        ["watch_id"],
        sqlite_where=sa.text("reviewed_at IS NULL AND changes > 0"),
        postgresql_where=sa.text("reviewed_at IS NULL AND changes > 0"),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    watch = sa.table(
        "watch",
        sa.column("id", sa.Integer()),
        sa.column("version_count", sa.Integer()),
        sa.column("latest_change", sa.Text()),
        sa.column("latest_change_significance", sa.String()),
        sa.column("latest_change_at", sa.DateTime(timezone=True)),
        sa.column("flag_facts", JSON),
    )
    snapshot = sa.table(
        "snapshot",
        sa.column("id", sa.Integer()),
        sa.column("watch_id", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("fetched_at", sa.DateTime(timezone=True)),
        sa.column("codec", sa.String()),
        sa.column("record_packed", sa.LargeBinary()),
        sa.column("changes", sa.Integer()),
        sa.column("significance", sa.String()),
    )
    last = 0
    query = sa.select(watch.c.id).where(watch.c.version_count > 0).order_by(watch.c.id).limit(BATCH)
    while ids := conn.scalars(query.where(watch.c.id > last)).all():
        for watch_id in ids:
            rows = conn.execute(
                sa.select(
                    snapshot.c.id,
                    snapshot.c.fetched_at,
                    snapshot.c.codec,
                    snapshot.c.record_packed,
                    snapshot.c.changes,
                )
                .where(snapshot.c.watch_id == watch_id)
                .order_by(snapshot.c.version)
            ).all()
            facts: dict[str, Any] | None = None
            latest: dict[str, Any] = {}
            packed: bytes | None = None
            before: dict[str, Any] | None = None
            for row in rows:
                packed = codec.unpack(row.record_packed, row.codec, packed)
                record = orjson.loads(packed)
                facts = fold(facts, record)
                said = headline(diff_records(before, record)) if before and row.changes else None
                before = record
                if said is None:
                    continue
                conn.execute(
                    snapshot.update()
                    .where(snapshot.c.id == row.id)
                    .values(significance=said.significance)
                )
                if said.significance != "metadata":
                    latest = {
                        "latest_change": said.summary,
                        "latest_change_significance": said.significance,
                        "latest_change_at": row.fetched_at,
                    }
            conn.execute(
                watch.update().where(watch.c.id == watch_id).values(flag_facts=facts, **latest)
            )
        last = ids[-1]


def downgrade() -> None:
    op.drop_index("ix_snapshot_unreviewed", table_name="snapshot")
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.drop_column("flag_facts")
        batch_op.drop_column("latest_change_at")
        batch_op.drop_column("latest_change_significance")
        batch_op.drop_column("latest_change")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("significance")
