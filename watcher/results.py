"""What the service's operations return: plain frozen data for the CLI and the web view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watcher.core.flags import RedFlag
from watcher.core.lenient import ParseWarning
from watcher.core.model import (
    CheckOutcome,
    CheckRun,
    DaemonState,
    FieldChange,
    Record,
    Version,
    Watch,
)
from watcher.core.searches import SavedSearch, SearchNews


@dataclass(frozen=True, slots=True)
class Added:
    """What `add` and `import` did: the watches asked for, and which were new."""

    watches: tuple[Watch, ...]
    added: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcomes: tuple[CheckOutcome, ...]
    not_sent: tuple[str, ...] = ()  # messages that stay queued, and why
    titles: Mapping[str, str] = field(default_factory=dict)  # how a person knows each trial
    # Why the run could not be recorded or alerted (a full disk): its versions are stored,
    # and their alert is derived again by the next run.
    unrecorded: str | None = None
    searches: tuple[SearchNews, ...] = ()  # what the saved searches due found

    @property
    def failed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.kind == "failed"]


@dataclass(frozen=True, slots=True)
class Cycle:
    """One daemon cycle: the checks of the trials that were due."""

    checked: int
    outcomes: tuple[CheckOutcome, ...]
    searches: tuple[SearchNews, ...] = ()


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Two versions of a trial, what changed between them, and the red flags up to ``new``."""

    old: Version
    new: Version
    first: Version
    changes: tuple[FieldChange, ...]
    flags: tuple[RedFlag, ...]
    since_start: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class Parsed:
    """The records of a saved payload, and the values kept as text in them."""

    records: tuple[Record, ...]
    warnings: tuple[ParseWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two saved payloads of one source, record by record."""

    before: int
    after: int
    changed: tuple[tuple[str, tuple[FieldChange, ...]], ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    warnings: tuple[ParseWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class Status:
    """What `status` and the web view's health check report."""

    healthy: bool  # a daemon cycle completed within two check intervals
    last_cycle_at: datetime | None
    daemon: DaemonState | None
    last_run: CheckRun | None  # the last daemon cycle that had trials due
    watched: int
    due: int
    failing: tuple[Watch, ...]
    stale: tuple[Watch, ...]
    queued_messages: int
    # Of each register that lists its updates: when its watched records were all fetched
    # last (the oldest fetch among them; None while one never was). watcher/sweep.py.
    full_sweeps: Mapping[str, datetime | None] = field(default_factory=dict)
    # The followed searches (watcher.core.searches): a capped or failing one is said.
    searches: tuple[SavedSearch, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """`status --json`, and the body of the web view's ``/healthz``."""
        state, run = self.daemon, self.last_run
        return {
            "healthy": self.healthy,
            "last_cycle_at": _iso(self.last_cycle_at),
            "daemon": None
            if state is None
            else {
                "started_at": _iso(state.started_at),
                "pid": state.pid,
                "host": state.host,
                "cycles": state.cycles,
            },
            "last_checks": None
            if run is None
            else {
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "checked": run.checked,
                "changed": run.changed,
                "failed": run.failed,
            },
            "watched": self.watched,
            "due": self.due,
            "failing": [w.trial_id for w in self.failing],
            "stale": [w.trial_id for w in self.stale],
            "queued_messages": self.queued_messages,
            "full_sweeps": {name: _iso(at) for name, at in self.full_sweeps.items()},
            "searches": [
                {
                    "name": s.name,
                    "matches": s.matches,
                    "last_run_at": _iso(s.last_run_at),
                    "capped": s.capped,
                    "error": s.last_error,
                }
                for s in self.searches
            ],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
