"""Each watch's facts (the registrations, title and recruitment status its latest record
names) are read once here from the stored records, so that reading the watch list never
writes: before this, `list` and the web view filled them in on read, and read again for ever
a record without a title.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

# The codecs name a stored format: watcher.store.codec reads them for as long as they exist;
# what a record names and is called is the core's to say, as when a version is stored.
from watcher.core.links import linked_ids
from watcher.core.model import record_title
from watcher.store import codec

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
BATCH = 200


def _latest_record(
    conn: sa.Connection, snapshot: sa.TableClause, watch_id: int, count: int
) -> dict:  # type: ignore[type-arg]
    """The newest version's record: unpacked from the last version stored whole."""
    rows = conn.execute(
        sa.select(snapshot.c.version, snapshot.c.codec, snapshot.c.record_packed)
        .where(
            snapshot.c.watch_id == watch_id,
            snapshot.c.version <= count,
            snapshot.c.version > count - codec.KEYFRAME_EVERY,
        )
        .order_by(snapshot.c.version)
    ).all()
    start = max(i for i, r in enumerate(rows) if r.codec == codec.FULL)
    packed: bytes | None = None
    for row in rows[start:]:
        packed = codec.unpack(row.record_packed, row.codec, packed)
    assert packed is not None
    record: dict[str, Any] = orjson.loads(packed)
    return record


def upgrade() -> None:
    watch = sa.table(
        "watch",
        sa.column("id", sa.Integer()),
        sa.column("version_count", sa.Integer()),
        sa.column("links", JSON),
        sa.column("record_title", sa.Text()),
        sa.column("record_status", sa.String()),
    )
    snapshot = sa.table(
        "snapshot",
        sa.column("watch_id", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("codec", sa.String()),
        sa.column("record_packed", sa.LargeBinary()),
    )
    conn = op.get_bind()
    last = 0
    query = (
        sa.select(watch.c.id, watch.c.version_count)
        .where(watch.c.version_count > 0)
        .order_by(watch.c.id)
        .limit(BATCH)
    )
    while rows := conn.execute(query.where(watch.c.id > last)).all():
        for row in rows:
            record = _latest_record(conn, snapshot, row.id, row.version_count)
            status = record.get("recruitment_status")
            conn.execute(
                watch.update()
                .where(watch.c.id == row.id)
                .values(
                    links=linked_ids(record),
                    record_title=record_title(record),
                    record_status=status[:200] if isinstance(status, str) else None,
                )
            )
        last = rows[-1].id


def downgrade() -> None:
    pass  # the facts stay correct under 0008, which filled them in on read
