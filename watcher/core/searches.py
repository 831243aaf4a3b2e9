"""Saved searches (`watcher follow`): what one run of a register's search found, and what
changed since the last run (README "Saved searches").

A search's matches are compared as sets of trial IDs: the register's order, and its paging,
mean nothing. A trial that leaves a search is told once, with why where the register's own
summary tells it (its status or sponsor changed); the first run is the baseline and reports
nothing.

Pure: the adapters run the searches (``watcher.sources``), the store keeps their results.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from watcher.core.model import Record


@dataclass(frozen=True, slots=True)
class Match:
    """A trial a search matches, as far as the register's answer (or its record) tells."""

    trial_id: str
    title: str | None = None
    status: str | None = None
    registered: date | None = None
    sponsor: str | None = None

    @classmethod
    def of(cls, trial_id: str, record: Record) -> Match:
        """The summary of a trial from its normalized record (contract §3)."""

        def text(key: str) -> str | None:
            value = record.get(key)
            return value if isinstance(value, str) and value else None

        registered = record.get("registration_date")
        if isinstance(registered, str):
            try:
                registered = date.fromisoformat(registered[:10])
            except ValueError:  # a date kept as text, as the register wrote it
                registered = None
        return cls(
            trial_id,
            text("public_title") or text("scientific_title"),
            text("recruitment_status"),
            registered if isinstance(registered, date) else None,
            text("primary_sponsor"),
        )

    @property
    def known(self) -> bool:
        """Whether the summary says more than the ID."""
        return any((self.title, self.status, self.registered, self.sponsor))


@dataclass(frozen=True, slots=True)
class Found:
    """One run of a search: the trials it matched (with what the answer says of each: a
    register answering IDs only says nothing), what the register counts, whether it caps."""

    matches: Mapping[str, Match | None]
    total: int | None = None  # the register's own count of the matches
    capped: bool = False  # the register answers fewer than it matches, by a limit of its own

    @property
    def why_capped(self) -> str | None:
        if not self.capped:
            return None
        if self.total is not None and self.total > len(self.matches):
            return f"the register answered {len(self.matches)} of the {self.total} it counts"
        return f"the register answers at most {len(self.matches)} trials a search"


@dataclass(frozen=True, slots=True)
class Left:
    """A trial that no longer matches a search, with why when its summary tells."""

    match: Match
    why: str | None = None


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """A search an office follows (``watcher follow``)."""

    name: str
    source: str
    query: str
    watch: bool = False
    tags: tuple[str, ...] = ()
    every: str | None = None  # its own interval as written (``"24h"``); None: the global one
    created_at: datetime | None = None
    last_run_at: datetime | None = None
    next_run_at: datetime | None = None
    last_error: str | None = None
    matches: int = 0
    total: int | None = None
    capped: bool = False
    unfollowed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SearchNews:
    """What one run of a search tells the office."""

    name: str
    source: str
    entered: tuple[Match, ...] = ()
    left: tuple[Left, ...] = ()
    matches: int = 0
    total: int | None = None
    capped: bool = False
    why_capped: str | None = None
    error: str | None = None
    watched: tuple[str, ...] = field(default=())  # new matches now watched (``--watch``)
    # Capped or failing since this run (it was not at the one before): an alert says it once,
    # the digest every week while it lasts.
    new_problem: bool = False

    @property
    def news(self) -> bool:
        """Whether an alert tells this run: trials entered or left, or a new problem."""
        return bool(self.entered or self.left or self.new_problem)

    @property
    def worth_a_digest(self) -> bool:
        return bool(self.entered or self.left or self.capped or self.error)


@dataclass(frozen=True, slots=True)
class Membership:
    """When a trial entered a search and, if it did, left it (one row of its history), with
    what the register said of it when it entered."""

    match: Match
    entered_at: datetime
    left_at: datetime | None = None
    why_left: str | None = None

    @property
    def trial_id(self) -> str:
        return self.match.trial_id


def news_of(
    search: SavedSearch, memberships: Sequence[Membership], since: datetime, until: datetime
) -> SearchNews:
    """What a search found in (since, until] (a digest's period): the trials that entered it
    after its baseline, and those that left it."""
    entered = tuple(
        m.match
        for m in memberships
        if since < m.entered_at <= until and m.entered_at != search.created_at
    )
    left = tuple(
        Left(m.match, m.why_left)
        for m in memberships
        if m.left_at is not None and since < m.left_at <= until
    )
    return SearchNews(
        search.name,
        search.source,
        entered,
        left,
        search.matches,
        search.total,
        search.capped,
        "the register answers fewer trials than the search matches" if search.capped else None,
        search.last_error,
    )


def compare(before: Collection[str], now: Collection[str]) -> tuple[list[str], list[str]]:
    """The IDs that entered and those that left, each sorted."""
    return sorted(set(now) - set(before)), sorted(set(before) - set(now))


def why_left(then: Match | None, now: Match | None) -> str | None:
    """Why a trial no longer matches, where its summaries then and now tell: its status or
    its sponsor changed, or the register no longer has it."""
    if now is None:
        return "no longer in the register"
    if then is None:
        return None
    reasons = []
    if then.status and now.status and then.status != now.status:
        reasons.append(f"status {then.status} → {now.status}")
    if then.sponsor and now.sponsor and then.sponsor != now.sponsor:
        reasons.append(f"sponsor {then.sponsor} → {now.sponsor}")
    return "; ".join(reasons) or None


@dataclass(frozen=True, slots=True)
class SearchEvent:
    """One run that changed a search's results, for a page: what entered and what left."""

    at: datetime
    baseline: bool
    entered: tuple[Match, ...]
    left: tuple[Left, ...]


def search_events(search: SavedSearch, memberships: Sequence[Membership]) -> list[SearchEvent]:
    """A search's history with what the register said of each trial, oldest first."""
    entered: dict[datetime, list[Match]] = {}
    left: dict[datetime, list[Left]] = {}
    for m in memberships:
        entered.setdefault(m.entered_at, []).append(m.match)
        if m.left_at is not None:
            left.setdefault(m.left_at, []).append(Left(m.match, m.why_left))
    return [
        SearchEvent(
            at,
            at == search.created_at,
            tuple(sorted(entered.get(at, []), key=lambda m: m.trial_id)),
            tuple(sorted(left.get(at, []), key=lambda g: g.match.trial_id)),
        )
        for at in sorted(set(entered) | set(left))
    ]
