"""Compact versions: record and raw payload zstd-compressed, a version against the one before;
a fingerprint of each trial's last payload; leases for daemons sharing the database.

Existing versions are recompressed on their own (codec "zstd"): the record from its JSON
column, the raw payload from zlib. Downgrading writes them back as they were.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import zlib

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

# The codecs name a stored format: watcher.store.codec reads them for as long as they exist.
from watcher.store import codec

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lease")),
    )
    with op.batch_alter_table("watch") as batch_op:
        batch_op.add_column(sa.Column("payload_hash", sa.String(length=80), nullable=True))
    with op.batch_alter_table("snapshot") as batch_op:
        batch_op.add_column(sa.Column("codec", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("record_packed", sa.LargeBinary(), nullable=True))
    table = sa.table(
        "snapshot",
        sa.column("id", sa.Integer()),
        sa.column("record", JSON),
        sa.column("codec", sa.String()),
        sa.column("record_packed", sa.LargeBinary()),
        sa.column("raw", sa.LargeBinary()),
    )
    conn = op.get_bind()
    last = 0
    # In batches of ids, so that a long history need not fit in memory.
    query = sa.select(table.c.id, table.c.record, table.c.raw).order_by(table.c.id).limit(BATCH)
    while rows := conn.execute(query.where(table.c.id > last)).all():
        for row in rows:
            conn.execute(
                table.update()
                .where(table.c.id == row.id)
                .values(
                    codec=codec.FULL,
                    record_packed=codec.pack(orjson.dumps(row.record), codec.FULL),
                    raw=codec.pack(zlib.decompress(row.raw), codec.FULL),
                )
            )
        last = rows[-1].id
    with op.batch_alter_table("snapshot") as batch_op:
        batch_op.alter_column("codec", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("record_packed", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("record")


def downgrade() -> None:
    with op.batch_alter_table("snapshot") as batch_op:
        batch_op.add_column(sa.Column("record", JSON, nullable=True))
    table = sa.table(
        "snapshot",
        sa.column("id", sa.Integer()),
        sa.column("watch_id", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("codec", sa.String()),
        sa.column("record_packed", sa.LargeBinary()),
        sa.column("raw", sa.LargeBinary()),
        sa.column("record", JSON),
    )
    conn = op.get_bind()
    # Deltas need the version before: walk each trial's versions in order.
    rows = conn.execute(
        sa.select(
            table.c.id, table.c.watch_id, table.c.codec, table.c.record_packed, table.c.raw
        ).order_by(table.c.watch_id, table.c.version)
    )
    previous: tuple[int, bytes, bytes] | None = None
    for row in rows.all():
        before = previous if previous is not None and previous[0] == row.watch_id else None
        record = codec.unpack(row.record_packed, row.codec, before[1] if before else None)
        raw = codec.unpack(row.raw, row.codec, before[2] if before else None)
        previous = (row.watch_id, record, raw)
        conn.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(record=orjson.loads(record), raw=zlib.compress(raw, 6))
        )
    with op.batch_alter_table("snapshot") as batch_op:
        batch_op.alter_column("record", existing_type=JSON, nullable=False)
        batch_op.drop_column("record_packed")
        batch_op.drop_column("codec")
    with op.batch_alter_table("watch") as batch_op:
        batch_op.drop_column("payload_hash")
    op.drop_table("lease")
