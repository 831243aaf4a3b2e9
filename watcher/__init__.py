"""watcher: tells a trials office when a registry record of a watched trial changes."""

__version__ = "0.1.0"
