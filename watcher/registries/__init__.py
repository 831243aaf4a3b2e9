"""The register adapters, by name, and which one serves which trial ID."""

from __future__ import annotations

from collections.abc import Callable

from watcher.config import Settings
from watcher.errors import WatcherError
from watcher.registries.base import Source
from watcher.registries.ctgov import CtGov

SOURCES: dict[str, Callable[[Settings], Source]] = {
    "ctgov": lambda settings: CtGov(settings.sources["ctgov"]),
}

# Which source fetches a register's records when the user does not say (`add --source`).
DEFAULT_SOURCE: dict[str, str] = {"ctgov": "ctgov"}


class UnknownSource(WatcherError, LookupError):
    def __init__(self, name: str, why: str) -> None:
        self.name = name
        super().__init__(f"source {name!r}: {why}")


def get(name: str, settings: Settings) -> Source:
    try:
        factory = SOURCES[name]
    except KeyError:
        raise UnknownSource(name, f"unknown; available: {', '.join(sorted(SOURCES))}") from None
    return factory(settings)


def source_for(registry: str, requested: str | None, settings: Settings) -> Source:
    """The source that fetches ``registry``'s records: the one asked for, or the default."""
    name = requested or DEFAULT_SOURCE.get(registry)
    if name is None:
        raise UnknownSource(
            registry,
            f"no adapter for {registry} records yet (available: {', '.join(sorted(SOURCES))})",
        )
    source = get(name, settings)
    if not source.serves(registry):
        raise UnknownSource(name, f"does not serve {registry} records")
    return source
