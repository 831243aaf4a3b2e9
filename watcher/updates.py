"""A register's list of the records it updated since a day (watcher/sweep.py), asked once a
run: `watcher check` reads the watch list a page at a time and a daemon cycle claims its
trials a page at a time, and every page of the run takes the same list rather than asking
again. A list asked at the start of a long run does not name a study updated during it; a
trial it vouches for keeps the day it was last fetched, so the next run's list names it.

A page whose trials were fetched before the list's day asks again from its own; a list that
could not be read, or that was too long, stays so for the run (its trials are fetched)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from watcher.errors import WatcherError
from watcher.sources.base import ListsUpdates
from watcher.sources.http import Fetcher

log = logging.getLogger(__name__)


@dataclass
class UpdateLists:
    # Per source: the day its list was asked from, and the answer (None: not to be used).
    _asked: dict[str, tuple[date, set[str] | None]] = field(default_factory=dict)

    def new_run(self) -> None:
        """Forget the lists: a run asks the register afresh."""
        self._asked.clear()

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
