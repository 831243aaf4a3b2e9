"""watcher: tells a trials office when a registry record of a watched trial changes."""

from __future__ import annotations

__version__ = "0.2.0"
