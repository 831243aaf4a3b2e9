"""Migrations: an empty database upgrades to exactly the models, and back down."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import orjson
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, insert, inspect, text

from watcher.core.hashing import content_hash
from watcher.core.model import empty_record
from watcher.store import codec
from watcher.store.db import ensure_schema, make_engine
from watcher.store.migrate import current_revision, downgrade, head_revision, upgrade
from watcher.store.sql import SqlStore
from watcher.store.tables import Base


def test_upgrade_head_matches_the_models_and_downgrade_works(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        ensure_schema(engine)  # a database at base is brought up on first use
        assert {"watch", "snapshot", "check_log", "check_run"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def _at_revision(engine: Engine, revision: str) -> MetaData:
    """The database brought to an older schema, and that schema's tables."""
    upgrade(engine, revision)
    old = MetaData()
    old.reflect(engine)
    return old


def _old_watch(conn: Connection, old: MetaData, at: datetime, versions: int) -> None:
    """NCT01234567's watch row in a database of an older schema (``old``, reflected)."""
    conn.execute(
        insert(old.tables["watch"]).values(
            id=1,
            trial_id="NCT01234567",
            registry="ctgov",
            source="ctgov",
            tags=[],
            active=True,
            added_at=at,
            consecutive_failures=0,
            version_count=versions,
        )
    )


def test_versions_stored_before_compaction_are_kept_through_upgrade_and_downgrade(
    db_url: str,
) -> None:
    """A database with versions in the 0003 layout (record as JSON, raw payload zlib) keeps
    every byte through the upgrade to compact versions, and back."""
    engine = make_engine(db_url)
    record = empty_record("NCT01234567", "ctgov", "ctgov") | {"recruitment_status": "RECRUITING"}
    payload = b'{"protocolSection": {"x": "' + b"y" * 3000 + b'"}}'
    at = datetime(2026, 1, 5, tzinfo=UTC)
    try:
        old = _at_revision(engine, "0003")
        with engine.begin() as conn:
            _old_watch(conn, old, at, versions=1)
            conn.execute(
                insert(old.tables["snapshot"]).values(
                    watch_id=1,
                    version=1,
                    fetched_at=at,
                    source="ctgov",
                    content_hash=content_hash(record),
                    record=record,
                    raw=zlib.compress(payload),
                    raw_content_type="application/json",
                    url="https://clinicaltrials.gov/study/NCT01234567",
                    changes=0,
                )
            )
        upgrade(engine)
        repo = SqlStore(engine)
        assert repo.version("NCT01234567").record == record
        assert repo.raw_payload("NCT01234567", 1)[0] == payload
        downgrade(engine, "0003")
        with engine.connect() as conn:
            stored_record, raw = conn.execute(text("SELECT record, raw FROM snapshot")).one()
        stored = stored_record if isinstance(stored_record, dict) else orjson.loads(stored_record)
        assert stored == record and zlib.decompress(raw) == payload
    finally:
        downgrade(engine, "base")
        engine.dispose()


def test_the_triage_facts_are_read_once_from_the_stored_versions(db_url: str) -> None:
    """Migration 0011 gives each version its most significant change and each watch its
    latest change in a line and its red flags' facts, from the records stored before it."""
    engine = make_engine(db_url)
    first = empty_record("NCT01234567", "ctgov", "ctgov") | {"recruitment_status": "RECRUITING"}
    second = first | {"recruitment_status": "SUSPENDED"}
    at = datetime(2026, 1, 5, tzinfo=UTC)
    try:
        old = _at_revision(engine, "0010")
        with engine.begin() as conn:
            _old_watch(conn, old, at, versions=2)
            for n, record in enumerate([first, second], 1):
                conn.execute(
                    insert(old.tables["snapshot"]).values(
                        watch_id=1,
                        version=n,
                        fetched_at=at + timedelta(days=n),
                        source="ctgov",
                        content_hash=content_hash(record),
                        codec=codec.FULL,
                        record_packed=codec.pack(orjson.dumps(record), codec.FULL),
                        raw=codec.pack(b"{}", codec.FULL),
                        raw_content_type="application/json",
                        url="https://clinicaltrials.gov/study/NCT01234567",
                        changes=n - 1,
                        alerted=True,
                    )
                )
        upgrade(engine)
        [watch] = SqlStore(engine).triage()
        assert (watch.unreviewed, watch.unreviewed_major) == (1, 1)
        assert watch.latest_change == "Recruitment status: Recruiting → Suspended"
        assert watch.latest_change_at == at + timedelta(days=2)
        assert watch.flag_facts and watch.flag_facts["recruitment_status"] == "SUSPENDED"
    finally:
        downgrade(engine, "base")
        engine.dispose()


def test_the_schema_head_known_without_alembic_is_alembics() -> None:
    """A database at SCHEMA_HEAD opens without loading Alembic: the two must agree."""
    from watcher.store.db import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD
