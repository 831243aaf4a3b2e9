"""The register adapters: the one that serves a trial, set up with its settings.

The registers and their adapters are listed in ``watcher.registers.SOURCES``. An adapter's
module is imported when it is first used, so that a command loads only the registers it needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from watcher.errors import UnknownSource
from watcher.registers import SOURCES, SourceInfo

if TYPE_CHECKING:
    from collections.abc import Callable

    from watcher.config import Settings, SourceSettings
    from watcher.sources.base import Source


def get(name: str, settings: Settings) -> Source:
    """The adapter ``name``, set up with its settings."""
    try:
        info = SOURCES[name]
    except KeyError:
        raise UnknownSource(name, f"unknown; available: {', '.join(sorted(SOURCES))}") from None
    module, _, cls = info.adapter.partition(":")
    adapter: Callable[[SourceSettings], Source] = getattr(import_module(module), cls)
    return adapter(settings.sources[name])


def source_for(trial_id: str, registry: str, requested: str | None, settings: Settings) -> Source:
    """The source that fetches a trial: the one asked for, else the configured routing."""
    source = get(requested or settings.routing.source_for(trial_id), settings)
    if not source.serves(registry):
        raise UnknownSource(source.name, f"does not serve {registry} records such as {trial_id}")
    return source


__all__ = ["SOURCES", "SourceInfo", "UnknownSource", "get", "source_for"]
