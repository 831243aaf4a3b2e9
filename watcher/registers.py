"""The registers watcher reads: ``SOURCES``, the one list of their adapters' names, with each
register's address and request budget.

A leaf module (it imports nothing of watcher), so that the configuration, the web view and
the command line can name the registers without loading an adapter. Adding a register is its
adapter module under ``watcher/sources/`` (a class implementing ``watcher.sources.base.Source``)
and one entry here; its ``base_url`` and ``requests_per_minute`` settings
(``watcher.config.table``), the routing's choices and the daemon's budgets follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass


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
