"""The application: every operation of watcher, for the CLI, the daemon and the web view.

Read ``Service`` to learn what watcher can do. It takes and returns model types and never
prints or exits; the CLI turns its results into lines and exit codes. It opens the database
and the HTTP client only when an operation first needs them, so `parse` and `compare` touch
neither, and it owns them: nothing above it reaches the store. Expected failures are
``WatcherError``s (see ``watcher.errors``).

One module per topic, each a layer of the one class (read them in this order):
``base`` (settings, clock, what is opened), ``watches`` (the watch list), ``messages``
(alerts, outbox, digest, reports), ``history`` (versions, diffs, reviews, exports, offline
files), ``checking`` (`check`, `reparse`), ``cycle`` (the daemon's cycle, leases, status).
"""

from __future__ import annotations

from watcher.service.cycle import Cycling


class Service(Cycling):
    """watcher's operations on one configuration (a context manager: leaving it closes what
    it opened)."""


__all__ = ["Service"]
