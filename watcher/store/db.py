"""Engines and migrations: SQLite pragmas, the PostgreSQL driver, and `db upgrade`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from watcher.errors import StoreError
from watcher.resources import data_dir

log = logging.getLogger(__name__)

# How long a writer waits for another process's transaction (the daemon's, say) to finish.
BUSY_TIMEOUT_MS = 30_000
# Execution option of the sessions that only read: on SQLite they begin a deferred
# transaction, which never waits for (nor blocks) the daemon's writes.
READ_ONLY = "watcher_read_only"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file and its folder are created on first use."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"database URL {url!r}: not an SQLAlchemy URL") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"database {path}: cannot create its folder ({e.strerror})") from None
        parsed = parsed.set(database=str(path))
    try:
        engine = create_engine(parsed, json_serializer=_json_dumps, json_deserializer=orjson.loads)
    except (NoSuchModuleError, ModuleNotFoundError) as e:
        raise StoreError(
            f"database URL {parsed.render_as_string(hide_password=True)}: no driver ({e}); "
            "for PostgreSQL install watcher[postgres]"
        ) from None
    if is_sqlite:
        _sqlite_pragmas(engine)
    return engine


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transactions over from pysqlite so that every writing one starts with BEGIN
        # IMMEDIATE: a deferred transaction that reads and then writes fails at once with
        # "database is locked" when another process wrote meanwhile, instead of waiting.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Reads take no lock in WAL mode; a writer takes the write lock from the start.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


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
        raise StoreError(f"database {_shown(engine)}: {e.orig}") from None


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


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest schema if it is behind; a new one is created."""
    try:
        current = current_revision(engine)
    except OperationalError as e:
        raise StoreError(f"database {_shown(engine)}: {e.orig}") from None
    if current != head_revision():
        log.info("upgrading database %s from %s", _shown(engine), current or "empty")
        upgrade(engine)


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
