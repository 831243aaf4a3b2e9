"""The daemon's side of the service: one cycle of due checks within the registers' request
budgets, the daemon's heartbeat and leases, and `status`.

The daemon (``watcher.daemon``) keeps the scheduler, the signals, sd_notify and when to take
a lease; what a cycle does and what is stored is decided here."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watcher.core.model import CheckOutcome, DaemonState, Watch
from watcher.core.schedule import spread
from watcher.registers import SOURCES
from watcher.results import Cycle
from watcher.service.base import Progress
from watcher.service.checking import Checking
from watcher.sources import get as get_source

if TYPE_CHECKING:
    from watcher.results import Status

# How long a daemon holds the trials it took for a cycle (at most one check interval): a
# cycle takes about one tick, and a daemon that died leaves its trials due again after this.
CLAIM = timedelta(minutes=30)


class Cycling(Checking):
    _budgets: tuple[dict[str, int], dict[str, int]] | None = None

    def cycle_budgets(self) -> tuple[dict[str, int], dict[str, int]]:
        """How many trials of each source one cycle takes (what its request budget allows in
        one tick; CT.gov batches a page of studies per request), and how many one claim
        takes: one page, or ten seconds of requests where trials are fetched one by one.
        Small claims let daemons sharing the database split a large cycle, and a daemon that
        dies leaves little claimed."""
        if self._budgets is None:
            tick_minutes = self.settings.schedule.tick.total_seconds() / 60
            limits, claims = {}, {}
            for name in SOURCES:
                source = get_source(name, self.settings)
                per_request = source.page_size
                # At least one request a cycle, however short the tick: the limiter spaces them.
                requests = max(1, int(source.requests_per_minute * tick_minutes))
                limits[name] = requests * per_request
                per_claim = per_request if per_request > 1 else source.requests_per_minute // 6
                claims[name] = max(1, min(limits[name], per_claim))
            self._budgets = limits, claims
        return self._budgets

    def check_due(
        self, *, stop: threading.Event | None = None, progress: Progress | None = None
    ) -> Cycle:
        """One cycle: check what is due now, claim after claim, within each register's budget;
        schedule the next checks; record the run and alert its changes (one alert for the
        whole cycle). ``stop`` ends it between two trials; those not reached stay due."""
        # Only what is due now: trials falling due while the cycle runs wait for the next one,
        # so that a cycle ends (and its heartbeat is written) however short the interval.
        now = self.clock()
        # The due searches first, within the same budgets: a new match they watch is due now.
        searches = tuple(self.run_searches())
        limits, claim_sizes = self.cycle_budgets()
        # One list of each register's updates serves every claim of the cycle, whose trials
        # of a source it may take the place of fetching.
        self._checks().updates.new_run()
        watched = self._store.watched_by_source()
        run = {name: min(n, watched.get(name, 0)) for name, n in limits.items()}
        left = dict(limits)
        outcomes: list[CheckOutcome] = []
        while stop is None or not stop.is_set():
            sizes = {name: min(n, claim_sizes[name]) for name, n in left.items() if n > 0}
            if not sizes:
                break
            claimed = self._check_claim(now, sizes, run, stop, progress)
            if claimed is None:
                break
            for watch in claimed[0]:
                left[watch.source] -= 1
            outcomes += claimed[1]
        if outcomes or any(n.news for n in searches):
            self._checked("daemon", now, outcomes, searches)
        return Cycle(len(outcomes), tuple(outcomes), searches)

    def _check_claim(
        self,
        now: datetime,
        sizes: dict[str, int],
        run: dict[str, int],
        stop: threading.Event | None,
        progress: Progress | None,
    ) -> tuple[list[Watch], list[CheckOutcome]] | None:
        """Claim trials due at ``now`` (``sizes``: at most so many of each source, of the
        ``run`` the cycle may check) and check them; None when nothing is due."""
        schedule = self.settings.schedule
        # Several daemons may share a PostgreSQL database: each takes its own due trials.
        lease = self.clock() + min(CLAIM, schedule.check_interval)  # from the claim on
        claimed = self._store.claim(now, sizes, lease)
        if not claimed:
            return None
        # A trial never scheduled but checked before (added by the CLI with a baseline) takes
        # its place in the spread; one never checked at all is checked now.
        first = {
            w.trial_id: now + spread(w.trial_id, schedule.interval_of(w))
            for w in claimed
            if w.next_check_at is None and w.last_checked_at is not None
        }
        if first:
            self._store.schedule(first)
        due = [w for w in claimed if w.trial_id not in first]
        outcomes: list[CheckOutcome] = []
        if due:
            checker = self._checks()
            outcomes, fetch = checker.vouched(due, run, progress)
            outcomes += checker.check(fetch, stop=stop, progress=progress)
            # Each on its own interval (its --every, its tags'); member records found through
            # a whole-trial watch were not claimed: the global one.
            by_id = {w.trial_id: w for w in claimed}
            self._store.schedule(
                {
                    o.trial_id: now
                    + (
                        schedule.interval_of(by_id[o.trial_id])
                        if o.trial_id in by_id
                        else schedule.check_interval
                    )
                    for o in outcomes
                }
            )
        return claimed, outcomes

    # -- the daemon's own state ------------------------------------------------------------

    def heartbeat(self, started_at: datetime, pid: int, host: str) -> None:
        """A cycle completed: what `status` and ``/healthz`` judge the daemon by."""
        self._store.heartbeat(self.clock(), started_at, pid, host)

    def daemon_state(self) -> DaemonState | None:
        return self._store.daemon_state()

    def take_lease(self, name: str, holder: str, until: datetime) -> bool:
        """Whether ``holder`` now holds ``name`` (the outbox, the digest) until ``until``: one
        daemon at a time among those sharing the database."""
        return self._store.take_lease(name, holder, self.clock(), until)

    def release_lease(self, name: str, holder: str) -> None:
        self._store.release_lease(name, holder, self.clock())

    def status(self) -> Status:
        """When the daemon last completed a cycle; what is due, failing and stale."""
        from watcher.health import status

        return status(self._store, self.settings, self.clock())
