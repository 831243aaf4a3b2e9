"""Checking trials now: `watcher check`, and reading stored history again (`reparse`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watcher.core.ids import parse_trial_id
from watcher.core.model import CheckOutcome, CheckRun, Watch
from watcher.core.searches import SearchNews
from watcher.errors import StoreError
from watcher.results import CheckResult
from watcher.service.base import Progress
from watcher.service.searching import Searching

if TYPE_CHECKING:
    from watcher.notify.outbox import Delivery
    from watcher.reread import Rereading


# How far back an alert lost on its way to the outbox is still sent; older ones are in the
# digest and the web view, and an alert of last month's change would mislead.
CATCH_UP = timedelta(days=7)
# Watches read at a time by a run over every trial: memory stays that of one page.
PAGE = 5000


class Checking(Searching):
    def check(self, ids: Sequence[str] = (), progress: Progress | None = None) -> CheckResult:
        """Send what is queued, check these trials (all when no ID), store, alert."""
        not_sent = self.deliver().errors
        started = self.clock()
        # The saved searches first: a new match they watch is checked in this same run.
        searches = () if ids else tuple(self.run_searches(every=True))
        checker = self._checks()
        checker.updates.new_run()
        outcomes: list[CheckOutcome] = []
        titles: dict[str, str] = {}
        if ids:
            pages: Iterable[list[Watch]] = [
                [self._store.watch(parse_trial_id(text).value) for text in ids]
            ]
            sizes = None
        else:
            # A page of watches at a time: a whole register's run holds one page of them.
            pages, sizes = self._store.watch_pages(PAGE), self._store.watched_by_source()
        seen: set[str] = set()  # member records checked through their whole trial
        # The trials to fetch, gathered over pages: a request takes a page of studies.
        pending: list[Watch] = []
        stored = tried = 0  # first versions stored by this run; at the last dictionary try

        def fetch() -> None:
            nonlocal stored, tried
            done = checker.check(pending, progress=progress)
            asked = {w.trial_id for w in pending}
            seen.update(o.trial_id for o in done if o.trial_id not in asked)
            outcomes.extend(done)
            titles.update(self._titles(pending, done))
            pending.clear()
            # A run that stores a whole register's first versions gets its dictionary on
            # the way, not after them all; tried as their number doubles, for counting a
            # register's versions reads its versions.
            stored += sum(o.kind == "baseline" for o in done)
            if stored > tried and stored >= 2 * tried:
                self._store.train_dictionaries(self.clock(), list(self.settings.sources))
                tried = stored

        for page in pages:
            page = [w for w in page if w.trial_id not in seen]
            # Trials asked for by ID are fetched, whatever a register's list of updates says.
            told, to_fetch = ([], page) if ids else checker.vouched(page, sizes, progress)
            outcomes.extend(told)
            pending.extend(to_fetch)
            if len(pending) >= PAGE:
                fetch()
        if pending:
            fetch()
        try:
            delivery = self._checked("cli", started, outcomes, searches)
        except StoreError as e:
            # What was checked is said all the same (`check --json` is always printed).
            return CheckResult(tuple(outcomes), not_sent, unrecorded=str(e), searches=searches)
        return CheckResult(
            tuple(outcomes),
            not_sent + (delivery.errors if delivery else ()),
            titles,
            searches=searches,
        )

    def _titles(self, watches: Sequence[Watch], outcomes: Sequence[CheckOutcome]) -> dict[str, str]:
        """How a person knows each changed trial: from the page of watches already read,
        and a member-state record found through its whole trial read alone."""
        titles = {w.trial_id: w.title for w in watches}
        return {
            o.trial_id: titles[o.trial_id]
            if o.trial_id in titles
            else self._store.watch(o.trial_id).title
            for o in outcomes
            if o.kind == "changed"
        }

    def _checked(
        self,
        trigger: str,
        started: datetime,
        outcomes: Sequence[CheckOutcome],
        searches: Sequence[SearchNews] = (),
    ) -> Delivery | None:
        """What follows every run of checks, from the CLI or the daemon: the run is recorded
        (for `status` and the digest's count of cycles), then its changes (and what the
        saved searches found) are alerted."""
        if outcomes or trigger == "cli":  # (a daemon cycle of searches alone is no run of checks)
            self._store.record_run(CheckRun.of(trigger, started, self.clock(), outcomes))
        delivery = self.alert([*outcomes, *self._not_alerted(outcomes)], searches)
        if any(o.kind == "baseline" for o in outcomes):
            # First versions were stored (what a dictionary is for, and what its count is of):
            # a register with enough of them gets its next one. Not after every run that
            # stored a change: counting them reads the versions table, and most changes are
            # stored against the version before, never with a dictionary.
            self._store.train_dictionaries(self.clock(), list(self.settings.sources))
        return delivery

    def _not_alerted(self, outcomes: Sequence[CheckOutcome]) -> list[CheckOutcome]:
        """Versions of earlier runs whose alert was never queued (the disk filled up, the
        database went away between the version and its message): told now, once."""
        told = {(o.trial_id, o.version) for o in outcomes if o.kind == "changed"}
        missed = [
            (tid, number)
            for tid, number in self._store.unalerted(self.clock() - CATCH_UP)
            if (tid, number) not in told
        ]
        return [
            CheckOutcome(tid, "changed", number, self.diff(tid, number - 1, number).changes)
            for tid, number in missed
        ]

    def reparse(self, ids: Sequence[str] = ()) -> list[Rereading]:
        """Read the stored history of these trials (every trial ever watched when no ID is
        given) again with the current parsers, so that history shows register changes only.
        One transaction a trial: safe to interrupt, and to run twice."""
        from watcher.reread import reread

        if ids:
            trial_ids = [parse_trial_id(text).value for text in ids]
            for tid in trial_ids:
                self._store.watch(tid)  # an unknown ID is an error before anything is done
        else:
            trial_ids = [w.trial_id for w in self._store.watches(include_removed=True)]
        adapter, rules = self._checks().adapter, self.settings.diff
        return [reread(self._store, adapter, tid, rules) for tid in trial_ids]
