"""Migrations (Alembic): `watcher db upgrade`, and the downgrades the tests run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from watcher.errors import StoreError
from watcher.resources import data_dir
from watcher.store.db import shown


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(data_dir("migrations")))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (``watcher db upgrade``)."""
    config = _alembic_config()
    try:
        with _migrating(engine) as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except OperationalError as e:
        raise StoreError(f"database {shown(engine)}: {e.orig}") from None


def downgrade(engine: Engine, revision: str) -> None:
    config = _alembic_config()
    with _migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A transaction to migrate in. On SQLite, with foreign keys off meanwhile: a migration
    alters a table by copying it and dropping the original, and dropping ``watch`` with
    foreign keys on would cascade to every version and check of every trial."""
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:  # outside any transaction, where SQLite ignores this pragma
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise StoreError("database: a migration left rows without their trial")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def upgrade_url(url: str) -> str:
    """Apply the migrations to the database at ``url``; its URL without the password."""
    from watcher.store.db import make_engine

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return shown(engine)
