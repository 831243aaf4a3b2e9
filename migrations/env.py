"""Alembic environment: the connection comes from watcher (``watcher db upgrade``) or, when
alembic is run by hand, from watcher's configuration."""

from __future__ import annotations

from alembic import context

from watcher.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from watcher.config import load
        from watcher.store.db import make_engine

        engine = make_engine(load().database.url)
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("watcher's migrations run online only: use `watcher db upgrade`")
run_migrations_online()
