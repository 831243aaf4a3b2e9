"""Saved searches (`watcher follow`): save one and take its baseline, run those due with each
check and daemon cycle, tell what entered and left, and watch new matches when asked.

A search runs within its register's request budget, the one the trials' checks use (the check
pipeline's fetchers), so that searches and watches together never fetch faster than a register
allows. Several daemons sharing a PostgreSQL database claim due searches as they claim trials.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watcher.config import parse_duration
from watcher.core.ids import parse_trial_id
from watcher.core.model import Fetched
from watcher.core.searches import (
    Found,
    Left,
    Match,
    Membership,
    SavedSearch,
    SearchNews,
    compare,
    why_left,
)
from watcher.errors import (
    InputError,
    InvalidTrialId,
    RecordNotFound,
    UnknownTrial,
    WatcherError,
)
from watcher.service.history import Reading
from watcher.sources.base import Searches

if TYPE_CHECKING:
    from watcher.sources.base import Source
    from watcher.sources.http import Fetcher

# A search's name is typed on the command line and shown in a URL: short, plain.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# How long a run holds the searches it took (another daemon takes them after that).
CLAIM = timedelta(minutes=30)


class Searching(Reading):
    def _searcher(self, name: str) -> tuple[Source, Searches, Fetcher]:
        source, fetcher = self._checks().register(name)
        if not isinstance(source, Searches):
            raise InputError(name, "this source cannot run a search")
        return source, source, fetcher

    def _next_run(self, search: SavedSearch, now: datetime) -> datetime:
        every = parse_duration(search.every) if search.every else None
        return now + self.settings.schedule.interval_for(every, search.tags)

    def follow(
        self,
        name: str,
        source: str,
        query: str,
        *,
        watch: bool = False,
        tags: Sequence[str] = (),
        every: str | None = None,
    ) -> SearchNews:
        """Save a search and run it once: what it matches now is its baseline (watched too
        with ``watch``), never reported as new. Every input is checked before anything is
        saved; a search that cannot be read now is not saved."""
        if not _NAME.fullmatch(name):
            raise InputError(name, "a search's name is 1 to 64 letters, digits, '.', '_' or '-'")
        if every is not None:
            try:
                parse_duration(every)
            except ValueError as e:
                raise InputError(every, str(e)) from None
        if source not in self.settings.sources:
            raise InputError(source, f"no such source (one of {', '.join(self.settings.sources)})")
        _, searcher, fetcher = self._searcher(source)
        kept = searcher.search_query(query)
        now = self.clock()
        search = SavedSearch(name, source, kept, watch, tuple(tags), every, created_at=now)
        found = searcher.search(fetcher, kept)  # a failure here saves nothing
        self._store.add_search(search)
        return self._record(search, found, now, baseline=True)

    def unfollow(self, name: str) -> None:
        """Stop following a search; its history is kept."""
        self._store.unfollow(name, self.clock())

    def searches(self, *, include_unfollowed: bool = False) -> list[SavedSearch]:
        return self._store.searches(include_unfollowed=include_unfollowed)

    def search_history(self, name: str) -> tuple[SavedSearch, list[Membership]]:
        """A search (followed or not) and every stay of a trial in its results."""
        return self._store.search(name), self._store.memberships(name)

    def run_searches(self, *, every: bool = False) -> list[SearchNews]:
        """Run every followed search that is due (``every``: all, as `watcher check` does);
        what each found new or gone. A search the register does not answer keeps its matches
        and says why (``SearchNews.error``)."""
        now = self.clock()
        news = []
        for search in self._store.claim_searches(now, now + CLAIM, every=every):
            try:
                _, searcher, fetcher = self._searcher(search.source)
                found = searcher.search(fetcher, search.query)
            except WatcherError as e:
                self._store.search_failed(search.name, now, str(e), self._next_run(search, now))
                news.append(
                    SearchNews(
                        search.name,
                        search.source,
                        error=str(e),
                        new_problem=search.last_error is None,
                    )
                )
                continue
            news.append(self._record(search, found, now))
        return news

    def _record(
        self, search: SavedSearch, found: Found, now: datetime, *, baseline: bool = False
    ) -> SearchNews:
        before = {} if baseline else self._store.current_matches(search.name)
        entered_ids, left_ids = compare(before, found.matches)
        if baseline:
            # The baseline is not news: its summaries are what the answer said, if anything.
            entered = [found.matches[i] or Match(i) for i in entered_ids]
        else:
            entered = self._summaries(search.source, entered_ids, found)
        left = self._leavings(search.source, left_ids, before)
        self._store.record_search_run(
            search.name,
            now,
            entered,
            left,
            matches=len(found.matches),
            total=found.total,
            capped=found.capped,
            next_run_at=self._next_run(search, now),
        )
        watched: list[str] = []
        if search.watch and entered:
            watched = self._watch_matches(search, [m.trial_id for m in entered])
        return SearchNews(
            search.name,
            search.source,
            () if baseline else tuple(entered),
            tuple(left),
            len(found.matches),
            found.total,
            found.capped,
            found.why_capped,
            watched=tuple(watched),
            new_problem=found.capped and not search.capped,
        )

    def _summaries(self, source: str, ids: Sequence[str], found: Found) -> list[Match]:
        """What the register says of each new match: its answer's summary, or its record
        where the search answered IDs only (CT.gov: a page of records for a thousand)."""
        missing = [i for i in ids if found.matches.get(i) is None]
        fetched = self._records(source, missing) if missing else {}
        return [found.matches.get(i) or fetched.get(i) or Match(i) for i in ids]

    def _leavings(self, source: str, ids: Sequence[str], before: dict[str, Match]) -> list[Left]:
        """Each trial that left, with why where its record now tells."""
        if not ids:
            return []
        now = self._records(source, ids)
        left = []
        for i in ids:
            then = before[i] if before[i].known else self._stored(i) or before[i]
            left.append(Left(then, why_left(then, now[i]) if i in now else None))
        return left

    def _stored(self, trial_id: str) -> Match | None:
        """A watched trial's summary from its latest stored version (a register that
        answered IDs only kept none when the trial entered); None when it is not watched."""
        try:
            return Match.of(trial_id, self._store.version(trial_id).record)
        except UnknownTrial:
            return None

    def _records(self, source: str, ids: Sequence[str]) -> dict[str, Match | None]:
        """The summary of each trial from its record fetched now (None: the register no
        longer has it); a trial that could not be fetched is left out."""
        adapter, _, fetcher = self._searcher(source)
        out: dict[str, Match | None] = {}
        for trial_id, result in adapter.fetch(fetcher, list(ids)):
            if isinstance(result, RecordNotFound):
                out[trial_id] = None
            elif isinstance(result, WatcherError):
                continue
            elif isinstance(result, Fetched):
                try:
                    out[trial_id] = Match.of(trial_id, adapter.normalize(result))
                except WatcherError:
                    continue
        return out

    def _watch_matches(self, search: SavedSearch, ids: Sequence[str]) -> list[str]:
        """Watch these matches with the search's tags and interval; those the office removed
        stay removed. The IDs now watched."""
        every = parse_duration(search.every) if search.every else None
        parsed = []
        for text in ids:
            try:
                parsed.append(parse_trial_id(text))
            except InvalidTrialId:
                continue  # a register's ID watcher cannot watch is still reported
        watches = self._watches_for(parsed, search.source, None, search.tags, every)
        return self._store.add_watches(watches, self.clock(), reactivate=False)
