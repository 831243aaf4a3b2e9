"""The store's interface: what the application asks of the database, by aggregate.

``SqlStore`` (``store.sql``) implements it on SQLite and PostgreSQL; the service and the check
pipeline know only this protocol. Every method takes and returns
``watcher.core.model`` types; an unknown trial raises ``UnknownTrial``, a database that
refuses raises ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from watcher.core.headline import Headline
from watcher.core.model import (
    CheckRun,
    DaemonState,
    Fetched,
    Latest,
    Message,
    Queued,
    Record,
    Version,
    Watch,
)
from watcher.core.searches import Left, Match, Membership, SavedSearch
from watcher.errors import VersionConflict

T = TypeVar("T")


def retrying(trial_id: str, attempt: Callable[[int], T], tries: int = 3) -> T:
    """``attempt(n)`` (n from 0), again while it raises ``VersionConflict``: another process
    (the daemon, a second CLI) stored a version of the trial meanwhile, so the attempt reads
    the latest version again and compares with that one, never doubling a version."""
    for n in range(tries):
        try:
            return attempt(n)
        except VersionConflict:
            continue
    raise VersionConflict(f"{trial_id}: versions kept being stored by another process")


@dataclass(frozen=True, slots=True)
class Reading:
    """One stored version as the re-reading needs it: the register's payload, and what the
    parser of its day made of it."""

    version: int
    fetched_at: datetime
    source: str
    raw: bytes
    content_type: str
    url: str
    parser: str | None
    record: Record
    content_hash: str


@dataclass(frozen=True, slots=True)
class Reread:
    """A version kept after re-reading, with the current parser's record."""

    reading: Reading
    record: Record
    content_hash: str
    parser: str | None
    changes: int
    headline: Headline | None = None


@dataclass(frozen=True, slots=True)
class HealthFacts:
    """What `status` and ``/healthz`` need, counted by the database (watcher.health): never
    the whole watch list."""

    watched: int
    due: int
    shortest_every: timedelta | None  # the shortest interval of a trial's own (`add --every`)
    # Of each source: its oldest fetch of a watched record, and how many were never fetched.
    fetched: Mapping[str, tuple[datetime | None, int]]
    queued_messages: int


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A check that found the stored version still current."""

    trial_id: str
    at: datetime
    redirected_to: str | None = None
    payload_hash: str | None = None
    # False: not fetched, the register said it had not changed (watcher/sweep.py).
    fetched: bool = True


@dataclass(frozen=True, slots=True)
class CheckLogEntry:
    """A run of identical check outcomes of one trial."""

    outcome: str
    first_at: datetime
    last_at: datetime
    count: int
    version: int | None
    error: str | None


class Store(Protocol):
    # -- the watch list (store.watches) --------------------------------------------------------
    def add_watches(
        self, watches: Sequence[Watch], now: datetime, *, reactivate: bool = True
    ) -> list[str]:
        """Watch these trials (all or nothing); the IDs not watched before."""
        ...

    def remove(self, trial_ids: Iterable[str], now: datetime) -> None:
        """Stop watching (all or nothing); history is kept."""
        ...

    def watches(self, *, tag: str | None = None, include_removed: bool = False) -> list[Watch]:
        """The watched trials, by trial ID."""
        ...

    def watch_pages(self, size: int) -> Iterator[list[Watch]]:
        """The watched trials, by trial ID, ``size`` at a time, each page read on its own."""
        ...

    def watched_by_source(self) -> dict[str, int]:
        """How many trials each source serves."""
        ...

    def watch(self, trial_id: str) -> Watch:
        """One trial, watched or removed."""
        ...

    def watched_links(self) -> dict[str, tuple[str, ...] | None]:
        """The registrations each watched trial's latest record names (None: not read yet)."""
        ...

    def triage(self, source: str | None = None) -> list[Watch]:
        """Every watched trial, with its unreviewed (and unreviewed major) versions counted."""
        ...

    # -- versions (store.versions) ---------------------------------------------------------------
    def latest_hashes(self, trial_ids: Sequence[str]) -> dict[str, Latest]:
        """The newest version of each trial that has one, without its record."""
        ...

    def family(self, trial_id: str) -> list[Watch]:
        """The member-state records watched for a whole EUCTR trial."""
        ...

    def history(self, trial_id: str) -> list[Version]:
        """Every version, oldest first."""
        ...

    def version(self, trial_id: str, number: int | None = None) -> Version:
        """One version; the newest when ``number`` is None."""
        ...

    def rehash(self, trial_id: str, number: int, content_hash: str) -> None:
        """Store a version's hash under the current hash function."""
        ...

    def raw_payload(self, trial_id: str, number: int) -> tuple[bytes, str]:
        """The register's payload of a version and its content type."""
        ...

    def add_version(
        self,
        trial_id: str,
        *,
        at: datetime,
        fetched: Fetched,
        record: Record,
        content_hash: str,
        previous: int,
        changes: int,
        payload_hash: str | None = None,
        parser: str | None = None,
        headline: Headline | None = None,
    ) -> int:
        """Store the version after ``previous`` (``VersionConflict`` if one came first)."""
        ...

    def review(
        self,
        trial_ids: Sequence[str],
        by: str,
        at: datetime,
        note: str | None,
        seen: Mapping[str, int] | None = None,
    ) -> int:
        """Mark the versions that need a review as reviewed (up to ``seen``'s versions)."""
        ...

    def unreviewed(self) -> dict[str, int]:
        """Versions with changes nobody reviewed yet, by trial."""
        ...

    def unreviewed_before(self, before: datetime) -> list[tuple[str, int, datetime]]:
        """Versions with changes found before ``before`` and not reviewed yet."""
        ...

    def readings(self, trial_id: str) -> list[Reading]:
        """Every version with its raw payload, oldest first: what a re-reading starts from."""
        ...

    def replace_history(self, trial_id: str, kept: Sequence[Reread], read: int) -> None:
        """Store a trial's versions as read again (of ``read`` versions): those kept, numbered
        from 1 in order, with their new records; the check log's version numbers follow
        (``VersionConflict`` when another process stored a version meanwhile)."""
        ...

    def changed_since(
        self, since: datetime, until: datetime | None = None
    ) -> Iterator[tuple[Watch, list[Version]]]:
        """Trials with versions fetched in (since, until], with the version before them, one
        at a time."""
        ...

    # -- the check log (store.checks) ------------------------------------------------------------
    def record_unchanged(
        self, trial_id: str, at: datetime, redirected_to: str | None = None
    ) -> None: ...

    def record_unchanged_many(self, checks: Sequence[Unchanged]) -> None: ...

    def record_failure(self, trial_id: str, at: datetime, error: str) -> int:
        """Log a failed check; how many checks in a row have failed."""
        ...

    def check_log(self, trial_id: str) -> list[CheckLogEntry]: ...

    # -- runs and leases (store.runs) ------------------------------------------------------------
    def record_run(self, run: CheckRun) -> None:
        """Keep the record of a `watcher check` or a daemon cycle."""
        ...

    def last_run(self, trigger: str) -> CheckRun | None: ...

    def runs_between(self, since: datetime, until: datetime) -> list[CheckRun]: ...

    def claim(self, now: datetime, limits: Mapping[str, int], lease_until: datetime) -> list[Watch]:
        """Take the due trials of each source for this daemon until ``lease_until``."""
        ...

    def schedule(self, next_checks: Mapping[str, datetime]) -> None: ...

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool: ...

    def release_lease(self, name: str, holder: str, now: datetime) -> None: ...

    def heartbeat(self, now: datetime, started_at: datetime, pid: int, host: str) -> None: ...

    def daemon_state(self) -> DaemonState | None: ...

    # -- the outbox (store.outbox) ---------------------------------------------------------------
    def enqueue(self, message: Message, at: datetime) -> int: ...

    def queue_messages(
        self, messages: Sequence[Message], at: datetime, versions: Sequence[tuple[str, int]]
    ) -> list[int]: ...

    def mark_alerted(self, versions: Sequence[tuple[str, int]]) -> None: ...

    def unalerted(self, since: datetime) -> list[tuple[str, int]]: ...

    def claim_message(self, outbox_id: int, now: datetime, until: datetime) -> bool: ...

    def outbox(
        self, *, due_at: datetime | None = None, status: str | None = None
    ) -> list[Queued]: ...

    def mark_sent(self, outbox_id: int, at: datetime) -> None: ...

    def mark_failed(self, outbox_id: int, error: str, retry_at: datetime) -> None: ...

    def last_digest_end(self) -> datetime | None: ...

    def health_facts(self, now: datetime) -> HealthFacts: ...

    def watches_naming(self, keys: Collection[str]) -> dict[str, tuple[str, ...] | None]: ...

    def train_dictionaries(self, now: datetime, sources: Sequence[str]) -> list[int]: ...

    def troubled(self, failures: int, no_success_since: datetime) -> list[Watch]: ...

    # saved searches (store.searches)
    def add_search(self, search: SavedSearch) -> None: ...

    def searches(self, *, include_unfollowed: bool = False) -> list[SavedSearch]: ...

    def search(self, name: str, *, followed: bool = False) -> SavedSearch: ...

    def claim_searches(
        self, now: datetime, lease_until: datetime, *, every: bool = False
    ) -> list[SavedSearch]: ...

    def current_matches(self, name: str) -> dict[str, Match]: ...

    def record_search_run(
        self,
        name: str,
        at: datetime,
        entered: Sequence[Match],
        left: Sequence[Left],
        *,
        matches: int,
        total: int | None,
        capped: bool,
        next_run_at: datetime,
    ) -> None: ...

    def search_failed(self, name: str, at: datetime, error: str, next_run_at: datetime) -> None: ...

    def unfollow(self, name: str, at: datetime) -> None: ...

    def memberships(self, name: str, since: datetime | None = None) -> list[Membership]: ...

    def close(self) -> None:
        """Let go of the database's connections."""
        ...
