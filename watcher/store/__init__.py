"""Storage: the database behind one Repository."""

from __future__ import annotations

from sqlalchemy import Engine

from watcher.store.db import ensure_schema, make_engine, upgrade
from watcher.store.repository import Latest, Repository, Unchanged, VersionConflict

__all__ = [
    "Latest",
    "NewWatch",
    "Repository",
    "Unchanged",
    "VersionConflict",
    "ensure_schema",
    "make_engine",
    "open_repository",
    "upgrade",
]


def open_repository(url: str) -> Repository:
    """A repository on ``url``, its schema brought up to date first (a new SQLite file is
    created), as reader does: operators never run migrations by hand."""
    engine: Engine = make_engine(url)
    ensure_schema(engine)
    return Repository(engine)
