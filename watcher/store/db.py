"""Engines: SQLite pragmas, the PostgreSQL driver, and whether the schema is up to date."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

from watcher.errors import StoreError
from watcher.store.tables import for_postgresql

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
        if path.is_file() and path.stat().st_size == 0:
            # SQLite would take an empty file for a new database and quietly start over;
            # an empty file where a database was is a disk or copy that went wrong.
            raise StoreError(
                f"database {path}: the file is empty (0 bytes), not a watcher database; "
                "restore it from a backup, or delete it to start a new database"
            )
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
    elif engine.dialect.name == "postgresql":
        for_postgresql()
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


# The newest migration (migrations/versions). A database already there opens without loading
# Alembic at all, which costs a command a third of its start; tests keep this in step.
SCHEMA_HEAD = "0014"


def stored_revision(engine: Engine) -> str | None:
    """The migration the database is at, None for a new one (read without Alembic)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest schema if it is behind; a new one is created."""
    try:
        current = stored_revision(engine)
    except DatabaseError as e:
        # "file is not a database", "database disk image is malformed", a refused login
        raise StoreError(f"database {shown(engine)}: {e.orig}") from None
    if current is not None and current.isdigit() and int(current) > int(SCHEMA_HEAD):
        raise StoreError(
            f"database {shown(engine)}: written by a newer release of watcher (schema "
            f"{current}; this release knows up to {SCHEMA_HEAD}): upgrade watcher to use it"
        )
    if current != SCHEMA_HEAD:
        from watcher.store.migrate import upgrade

        log.info("upgrading database %s from %s", shown(engine), current or "empty")
        upgrade(engine)


def shown(engine: Engine) -> str:
    """The database's URL without its password."""
    return engine.url.render_as_string(hide_password=True)
