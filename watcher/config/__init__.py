"""Configuration: ``values`` (pure parsers), ``table`` (every key with its default and help),
``settings`` (the typed result and ``load``)."""

from __future__ import annotations

from watcher.config.settings import (
    DatabaseSettings,
    EmailSettings,
    HttpSettings,
    RoutingSettings,
    ScheduleSettings,
    Settings,
    SourceSettings,
    from_mapping,
    load,
)
from watcher.config.table import SETTINGS, SETTINGS_BY_KEY, default_database_url
from watcher.config.values import Setting, format_duration, parse_duration, parse_weekly

__all__ = [
    "SETTINGS",
    "SETTINGS_BY_KEY",
    "DatabaseSettings",
    "EmailSettings",
    "HttpSettings",
    "RoutingSettings",
    "ScheduleSettings",
    "Setting",
    "Settings",
    "SourceSettings",
    "default_database_url",
    "format_duration",
    "from_mapping",
    "load",
    "parse_duration",
    "parse_weekly",
]
