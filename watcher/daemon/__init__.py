"""The daemon (`watcher run`): the scheduler that checks trials when due and sends the digest."""

from __future__ import annotations

from watcher.daemon.scheduler import Daemon

__all__ = ["Daemon"]
