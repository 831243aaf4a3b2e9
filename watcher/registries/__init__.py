"""The register adapters, by name, and which one serves which trial ID."""

from __future__ import annotations

from collections.abc import Callable

from watcher.config import SOURCE_NAMES, Settings
from watcher.errors import WatcherError
from watcher.registries.base import Source
from watcher.registries.ctgov import CtGov
from watcher.registries.euctr import Euctr
from watcher.registries.ictrp import Ictrp

SOURCES: dict[str, Callable[[Settings], Source]] = {
    "ctgov": lambda settings: CtGov(settings.sources["ctgov"]),
    "euctr": lambda settings: Euctr(settings.sources["euctr"]),
    "ictrp": lambda settings: Ictrp(settings.sources["ictrp"]),
}
assert tuple(sorted(SOURCES)) == SOURCE_NAMES, "config.SOURCE_NAMES must list SOURCES"

# Registers with no adapter of their own yet, and why: their records come through ICTRP.
NOT_YET = {
    "ctis": "no real CTIS record has been seen yet to build and test an adapter on",
    "isrctn": "one real ISRCTN record is not enough to build and test an adapter on",
}


class UnknownSource(WatcherError, LookupError):
    def __init__(self, name: str, why: str) -> None:
        self.name = name
        super().__init__(f"source {name!r}: {why}")


def get(name: str, settings: Settings) -> Source:
    if name in NOT_YET:
        raise UnknownSource(
            name,
            f"not supported yet ({NOT_YET[name]}); watch these "
            "trials through ICTRP: --source ictrp (the default)",
        )
    try:
        factory = SOURCES[name]
    except KeyError:
        raise UnknownSource(name, f"unknown; available: {', '.join(sorted(SOURCES))}") from None
    return factory(settings)


def source_for(trial_id: str, registry: str, requested: str | None, settings: Settings) -> Source:
    """The source that fetches a trial: the one asked for, else the configured routing."""
    source = get(requested or settings.routing.source_for(trial_id), settings)
    if not source.serves(registry):
        raise UnknownSource(source.name, f"does not serve {registry} records such as {trial_id}")
    return source
