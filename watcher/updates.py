"""A register's list of the records it updated since a day (watcher/sweep.py), asked once a
run: `watcher check` reads the watch list a page at a time and a daemon cycle claims its
trials a page at a time, and every page of the run takes the same list rather than asking
again. A list asked at the start of a long run does not name a study updated during it; a
trial it vouches for keeps the day it was last fetched, so the next run's list names it.

A page whose trials were fetched before the list's day asks again from its own; a list that
could not be read, or that was too long, stays so for the run (its trials are fetched)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from watcher.core.decide import needs_rehash, needs_reread
from watcher.core.model import Watch
from watcher.errors import WatcherError
from watcher.sources.base import ListsUpdates, Source, parser_id
from watcher.sources.http import Fetcher
from watcher.store import Store
from watcher.sweep import most_requests, plan, unchanged

log = logging.getLogger(__name__)


@dataclass
class UpdateLists:
    # Per source: the day its list was asked from, and the answer (None: not to be used).
    _asked: dict[str, tuple[date, set[str] | None]] = field(default_factory=dict)

    def new_run(self) -> None:
        """Forget the lists: a run asks the register afresh."""
        self._asked.clear()

    def vouched(
        self,
        repo: Store,
        source: Source,
        fetcher: Fetcher,
        watches: Sequence[Watch],
        now: datetime,
        full_sweep: timedelta | None,
        run_size: int = 0,
    ) -> list[tuple[str, int]]:
        """The trials of ``watches`` (of ``source``) its list of updates leaves out, with
        their latest version: unchanged on its word, not to be fetched. None of them when it keeps
        no list, or the list costs more requests than fetching the ``run_size`` trials of
        the run (or ``watches``), or it cannot be read."""
        if not isinstance(source, ListsUpdates):
            return []
        sweep = plan(watches, now, full_sweep)
        if sweep.since is None:
            return []
        most = most_requests(max(len(watches), run_size), source.page_size)
        updated = self.updated(source.name, source, fetcher, sweep.since, most)
        if updated is None:
            return []
        parser = parser_id(source)
        out = [
            (tid, latest.version)
            for tid, latest in repo.latest_hashes(unchanged(sweep.ask, updated)).items()
            # A version read or hashed by an older release is fetched: today's reading is
            # compared with the stored payloads read again, like with like (watcher/reread.py).
            if not needs_reread(latest, parser) and not needs_rehash(latest)
        ]
        log.info(
            "%s: %d trials not updated since %s: not fetched", source.name, len(out), sweep.since
        )
        return out

    def updated(
        self, name: str, source: ListsUpdates, fetcher: Fetcher, since: date, most: int
    ) -> set[str] | None:
        """The IDs of ``name``'s records updated on or after ``since``; None when the list
        cannot be used (it takes more than ``most`` requests, or it cannot be read)."""
        asked = self._asked.get(name)
        if asked is not None and asked[0] <= since:
            return asked[1]
        try:
            found = source.updated_since(fetcher, since, most)
        except WatcherError as e:
            log.warning("%s: no list of updated records (%s): every trial is fetched", name, e)
            found = None
        else:
            if found is None:
                log.info("%s: more updates since %s than %d requests list", name, since, most)
        self._asked[name] = (since, found)
        return found
