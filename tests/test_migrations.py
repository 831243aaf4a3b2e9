"""Migrations: an empty database upgrades to exactly the models, and back down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from watcher.store import make_engine
from watcher.store.db import current_revision, downgrade, ensure_schema, head_revision, upgrade
from watcher.store.models import Base


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
