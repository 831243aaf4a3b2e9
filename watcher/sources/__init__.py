"""The register adapters: ``SOURCES``, the one list of their names, and which one serves a trial.

Adding a register is its module (a class implementing ``base.Source``) and one line in
``SOURCES``; its ``base_url`` and ``requests_per_minute`` settings follow from that line
(``watcher.config.table``), and the daemon's budgets from the adapter itself. An adapter's
module is imported when it is first used, so that a command loads only the registers it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from watcher.errors import WatcherError

if TYPE_CHECKING:
    from collections.abc import Callable

    from watcher.config import Settings, SourceSettings
    from watcher.sources.base import Source


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One adapter: where its class is, the register's address, and its request budget."""

    adapter: str  # "module:Class"
    base_url: str
    requests_per_minute: int
    about: str  # what the register is, for the help of its base_url setting
    budget: str  # why this budget, for the help of its requests_per_minute setting


SOURCES: dict[str, SourceInfo] = {
    "ctgov": SourceInfo(
        "watcher.sources.ctgov:CtGov",
        "https://clinicaltrials.gov",
        50,
        "ClinicalTrials.gov, API v2 below /api/v2.",
        "Request budget for ClinicalTrials.gov (it asks for about 50 a minute per address).",
    ),
    "euctr": SourceInfo(
        "watcher.sources.euctr:Euctr",
        "https://www.clinicaltrialsregister.eu",
        300,
        "EU Clinical Trials Register.",
        "Request budget for EUCTR (it allows at most 100 requests in 20 seconds).",
    ),
    "ictrp": SourceInfo(
        "watcher.sources.ictrp:Ictrp",
        "https://trialsearch.who.int",
        10,
        "WHO ICTRP trial search: its trial pages (Trial2.aspx?TrialID=...).",
        "Request budget for ICTRP, low on purpose: WHO asks crawlers to get in touch first.",
    ),
    "ctis": SourceInfo(
        "watcher.sources.ctis:Ctis",
        "https://euclinicaltrials.eu",
        20,
        "CTIS, the EU Clinical Trials Information System (public API below /ctis-public-api).",
        "Request budget for CTIS, low on purpose: it throttles clients (403, 429, 503).",
    ),
    "isrctn": SourceInfo(
        "watcher.sources.isrctn:Isrctn",
        "https://www.isrctn.com",
        30,
        "ISRCTN registry (API below /api).",
        "Request budget for ISRCTN.",
    ),
}


class UnknownSource(WatcherError, LookupError):
    def __init__(self, name: str, why: str) -> None:
        self.name = name
        super().__init__(f"source {name!r}: {why}")


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
