"""Storage: the ``Store`` protocol and its SQL implementation, one module per aggregate.

- ``protocol``: what the application asks of the database (``Store``), and its small types.
- ``sql``: ``SqlStore`` and ``open_store``; ``base``: transactions and row conversion.
- ``watches``, ``versions``, ``checks`` (the check log), ``runs`` (claims, leases, heartbeat,
  check runs), ``outbox``: one aggregate each.
- ``db`` (engines), ``migrate`` (Alembic), ``tables`` (the ORM tables), ``codec`` (compression).

Importing this package loads no SQLAlchemy: commands that need no database stay fast.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from watcher.core.model import Latest
from watcher.errors import VersionConflict
from watcher.store.protocol import CheckLogEntry, Store, Unchanged, retrying

if TYPE_CHECKING:
    from watcher.store.sql import SqlStore

__all__ = [
    "CheckLogEntry",
    "Latest",
    "Store",
    "Unchanged",
    "VersionConflict",
    "open_store",
    "retrying",
]


def open_store(url: str) -> SqlStore:
    """The SQL store on ``url``, its schema brought up to date (see ``store.sql``)."""
    with _collector_paused():
        from watcher.store.sql import open_store as open_sql

    return open_sql(url)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Importing SQLAlchemy makes some 100,000 objects that live as long as the process; the
    cyclic collector's passes over them meanwhile were an eighth of `watcher list`."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
