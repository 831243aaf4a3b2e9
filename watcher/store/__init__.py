"""Storage: the ``Store`` protocol and its SQL implementation, one module per aggregate.

- ``protocol``: what the application asks of the database (``Store``), and its small types.
- ``sql``: ``SqlStore`` and ``open_store``; ``base``: transactions and row conversion.
- ``watches``, ``versions``, ``checks`` (the check log), ``runs`` (claims, leases, heartbeat,
  check runs), ``outbox``: one aggregate each.
- ``db`` (engines), ``migrate`` (Alembic), ``tables`` (the ORM tables), ``codec`` (compression).

Importing this package loads no SQLAlchemy: commands that need no database stay fast.
"""

from __future__ import annotations

from watcher.store.protocol import CheckLogEntry, Latest, Store, Unchanged, VersionConflict

__all__ = ["CheckLogEntry", "Latest", "Store", "Unchanged", "VersionConflict"]
