"""The database tables (SQLAlchemy 2.0). Rows stay inside ``watcher.store``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

# Named constraints, so that migrations can refer to them on every dialect.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored and returned as UTC-aware datetimes on every dialect
    (SQLite keeps no time zone and would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: watcher stores UTC-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONType(TypeDecorator[Any]):
    """JSONB on PostgreSQL (indexable, compact), JSON text elsewhere: the one dialect
    difference. Chosen when a statement meets its dialect, so that a command on SQLite never
    loads PostgreSQL's dialect (30 ms of every start, docs/benchmarks.md "What a command costs
    to start")."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class WatchRow(Base):
    __tablename__ = "watch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[str] = mapped_column(String(64), unique=True)
    registry_name: Mapped[str] = mapped_column("registry", String(16))
    source: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    redirected_to: Mapped[str | None] = mapped_column(String(64))
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its record was last fetched (a check may find it unchanged from the register's
    # list of changed records alone, watcher/sweep.py).
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the daemon checks it next; None: as soon as it can. The schedule lives here, so a
    # restart loses nothing and an overdue check runs once, not once per missed interval.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A fingerprint of the last payload fetched (see hashing.payload_fingerprint): the same
    # bytes again are the same record, so an unchanged check skips normalizing them.
    payload_hash: Mapped[str | None] = mapped_column(String(80))
    # The other registrations of the trial that its latest record names (core.links);
    # None until read.
    links: Mapped[list[str] | None] = mapped_column(JSONType)
    # The latest record's public (else scientific) title; None until read.
    record_title: Mapped[str | None] = mapped_column(Text)
    # The latest record's recruitment status, as the register writes it; None until read.
    record_status: Mapped[str | None] = mapped_column(String(200))
    # Its own check interval in seconds (`add --every`); None: the configured ones.
    check_every: Mapped[int | None] = mapped_column(Integer)
    # The latest change that matters (a version whose changes are not all metadata), in one
    # line, its significance and when it was found: the list's row (core.headline).
    latest_change: Mapped[str | None] = mapped_column(Text)
    latest_change_significance: Mapped[str | None] = mapped_column(String(8))
    latest_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the red flags read of its versions (core.flags.fold); None until read.
    flag_facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class SnapshotRow(Base):
    """One version of a trial's record; append-only. The record (canonical JSON) and the raw
    payload are compressed as ``codec`` says: alone, or against the version before
    (store.codec), which makes a version that changed a few fields cost tens of bytes."""

    __tablename__ = "snapshot"
    __table_args__ = (
        UniqueConstraint("watch_id", "version"),
        # Every run asks for the versions whose alert was never queued: a handful at most,
        # found through this index of them alone, never by reading every version.
        Index(
            "ix_snapshot_unalerted",
            "fetched_at",
            sqlite_where=text("alerted = 0"),
        ),
        # The list counts every trial's unreviewed versions at each page: few, found here.
        Index(
            "ix_snapshot_unreviewed",
            "watch_id",
            sqlite_where=text("reviewed_at IS NULL AND changes > 0"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(80))
    codec: Mapped[str] = mapped_column(String(16))
    record_packed: Mapped[bytes] = mapped_column(LargeBinary)
    # The register's payload, so that a better parser can re-normalize history.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_content_type: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(Text)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    # The most significant of them (major, minor, metadata); None for none, or for a version
    # stored before it was kept (then it counts as needing a review).
    significance: Mapped[str | None] = mapped_column(String(8))
    # The adapter and parser version that read ``raw`` into the record ("ictrp:2"); None for
    # versions stored before parsers were versioned.
    parser: Mapped[str | None] = mapped_column(String(32))
    # The review trail: who looked at this version's changes, when, and their note. Written
    # by `watcher review` only, never by a check.
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
    # Whether this version's changes were queued in an alert (or had nothing to tell): an
    # alert lost between the version and its message is derived again (service.checking).
    alerted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


# PostgreSQL's conditions of the partial indexes above, in its own words ("NOT alerted"). They
# are given to the indexes when a PostgreSQL engine is made (store.db): a ``postgresql_where``
# written in the index would load PostgreSQL's dialect in every command, on SQLite too.
_POSTGRESQL_WHERE = {
    "ix_snapshot_unalerted": "NOT alerted",
    "ix_snapshot_unreviewed": "reviewed_at IS NULL AND changes > 0",
}


def for_postgresql() -> None:
    """Give the partial indexes their PostgreSQL conditions (idempotent)."""
    for index in Base.metadata.tables["snapshot"].indexes:
        if index.name in _POSTGRESQL_WHERE:
            index.dialect_kwargs["postgresql_where"] = text(_POSTGRESQL_WHERE[str(index.name)])


class CheckLogRow(Base):
    """Checks of one trial, run-length encoded: a run of identical outcomes is one row whose
    ``count`` grows, so a trial that never changes costs one row, not one a day."""

    __tablename__ = "check_log"
    __table_args__ = (Index("ix_check_log_watch_id_id", "watch_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class CheckRunRow(Base):
    """One run of checks (a `watcher check` or a daemon cycle), for `status` and reports."""

    __tablename__ = "check_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(16))
    checked: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class OutboxRow(Base):
    """A message to send: written before any attempt, marked sent after the server took it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert, digest
    channel: Mapped[str] = mapped_column(String(16), default="email")  # email, apprise
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    recipients: Mapped[list[str]] = mapped_column(JSONType)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # queued, sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For a digest: the period it covers; the next digest starts where this one ended.
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DaemonRow(Base):
    """The daemon's heartbeat (one row): `watcher status` reads it."""

    __tablename__ = "daemon"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    last_cycle_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cycles: Mapped[int] = mapped_column(Integer, default=0)


class LeaseRow(Base):
    """A named job that one daemon at a time does (sending the outbox, the weekly digest) when
    several share the database: held by ``holder`` until ``until``."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchRow(Base):
    """A saved search (``watcher follow``); kept after ``unfollow`` with its history."""

    __tablename__ = "search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(Text)
    watch: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    every: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    matches: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    unfollowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SearchMatchRow(Base):
    """One stay of a trial in a search's results: when it entered, when (and why) it left.
    A search's history is these rows alone, however many times it runs unchanged."""

    __tablename__ = "search_match"
    __table_args__ = (Index("ix_search_match_current", "search_id", "left_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    search_id: Mapped[int] = mapped_column(ForeignKey("search.id", ondelete="CASCADE"))
    trial_id: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    why_left: Mapped[str | None] = mapped_column(Text)
    # The register's summary when it entered: what a leaving is compared with.
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    sponsor: Mapped[str | None] = mapped_column(Text)
    registered: Mapped[str | None] = mapped_column(String(10))


class DictionaryRow(Base):
    """A zstd dictionary trained on a register's stored versions (store.codec): the versions
    stored on their own after it name it; it is never changed or deleted."""

    __tablename__ = "codec_dictionary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The register's versions stored on their own when it was trained (the next is trained
    # at four times as many).
    trained_on: Mapped[int] = mapped_column(Integer)
    record_dict: Mapped[bytes] = mapped_column(LargeBinary)
    raw_dict: Mapped[bytes] = mapped_column(LargeBinary)
