"""The daemon: `watcher run` checks every watched trial on schedule and sends the digest.

One APScheduler job (a "cycle", every ``schedule.tick``) checks the trials that are due,
within each register's request budget, and sends what the outbox holds; a cron job sends the
weekly digest. The schedule itself lives in the database (each watch's ``next_check_at``): the
CLI can add and remove trials while the daemon runs, a restart loses nothing, and a check
overdue after downtime runs once. SIGTERM stops the check in flight between two trials.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.core.links import family
from watcher.core.model import CheckOutcome, CheckRun, Watch
from watcher.daemon.sdnotify import notify
from watcher.sources import SOURCES
from watcher.sources import get as get_source

if TYPE_CHECKING:
    from watcher.service import Service

log = logging.getLogger(__name__)

# How long a daemon holds the trials it took for a cycle (at most one check interval): a
# cycle takes about one tick, and a daemon that died leaves its trials due again after this.
CLAIM = timedelta(minutes=30)
# How long sending the outbox is one daemon's, and how long after one daemon sent the
# digest the others skip theirs.
OUTBOX_LEASE = timedelta(minutes=10)
DIGEST_LEASE = timedelta(hours=1)


def _watchdog(_done: int) -> None:
    """Each trial checked is a sign of life: a scheduler stuck in one request is restarted."""
    notify("WATCHDOG=1")


def spread(trial_id: str, interval: timedelta) -> timedelta:
    """A stable offset within the interval for each trial, so that thousands of trials are
    checked across the interval rather than all at once, and stay spread across restarts.
    The member states of one EUCTR trial share theirs: one download serves them all."""
    key = family(trial_id)
    return interval * ((zlib.crc32(key.encode()) % 10_000) / 10_000)


@dataclass
class CycleResult:
    checked: int
    outcomes: list[CheckOutcome]


class Daemon:
    """``watcher run``: given the service, it checks, alerts and sends through it."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.settings = service.settings
        self.repo = service.store
        self.checker = service.checker()
        self.clock = service.clock
        self.stopping = threading.Event()
        self.started_at = self.clock()
        self.host = socket.gethostname()
        self.worker = f"{self.host}:{os.getpid()}"
        self.scheduler: BlockingScheduler | None = None
        self.limits, self.claim_sizes = self._limits()

    def _limits(self) -> tuple[dict[str, int], dict[str, int]]:
        """How many trials of each source one cycle takes (what its request budget allows in
        one tick; CT.gov batches a page of studies per request), and how many one claim takes:
        one page, or ten seconds of requests where trials are fetched one by one. Small claims
        let daemons sharing the database split a large cycle, and a daemon that dies leaves
        little claimed."""
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
        return limits, claims

    def cycle(self) -> CycleResult:
        """Check what is due, claim after claim, schedule the next checks, send what is
        queued. The changes of the whole cycle make one alert."""
        if self.stopping.is_set():
            return CycleResult(0, [])
        self._deliver()
        # Only what is due now: trials falling due while the cycle runs wait for the next one,
        # so that a cycle ends (and its heartbeat is written) however short the interval.
        now = self.clock()
        left = dict(self.limits)
        outcomes: list[CheckOutcome] = []
        while not self.stopping.is_set():
            sizes = {name: min(n, self.claim_sizes[name]) for name, n in left.items() if n > 0}
            if not sizes:
                break
            claimed = self._check_claim(now, sizes)
            if claimed is None:
                break
            for watch in claimed[0]:
                left[watch.source] -= 1
            outcomes += claimed[1]
        if outcomes:
            self.service.alert(outcomes)
            self.repo.record_run(CheckRun.of("daemon", now, self.clock(), outcomes))
        self.repo.heartbeat(self.clock(), self.started_at, os.getpid(), self.host)
        notify("WATCHDOG=1")
        return CycleResult(len(outcomes), outcomes)

    def _check_claim(
        self, now: datetime, sizes: dict[str, int]
    ) -> tuple[list[Watch], list[CheckOutcome]] | None:
        """Claim trials due at ``now`` (``sizes``: at most so many of each source) and check
        them; None when nothing is due."""
        schedule = self.settings.schedule
        interval = schedule.check_interval
        # Several daemons may share a PostgreSQL database: each takes its own due trials.
        lease = self.clock() + min(CLAIM, interval)  # from the claim, not the cycle's start
        claimed = self.repo.claim(now, sizes, lease)
        if not claimed:
            return None
        # A trial never scheduled but checked before (added by the CLI with a baseline) takes
        # its place in the spread; one never checked at all is checked now.
        first = {
            w.trial_id: now + spread(w.trial_id, schedule.interval_for(w.every, w.tags))
            for w in claimed
            if w.next_check_at is None and w.last_checked_at is not None
        }
        if first:
            self.repo.schedule(first)
        due = [w for w in claimed if w.trial_id not in first]
        outcomes: list[CheckOutcome] = []
        if due:
            outcomes = self.checker.check(due, stop=self.stopping, progress=_watchdog)
            checked = {o.trial_id for o in outcomes}
            # Each on its own interval (its --every, its tags'), the global one otherwise.
            by_id = {w.trial_id: w for w in claimed}
            self.repo.schedule(
                {
                    tid: now
                    + (
                        schedule.interval_for(by_id[tid].every, by_id[tid].tags)
                        if tid in by_id
                        else interval
                    )
                    for tid in checked
                }
            )
        return claimed, outcomes

    def _deliver(self) -> None:
        """Send what the outbox holds, unless another daemon is sending it now."""
        now = self.clock()
        if not self.repo.take_lease("outbox", self.worker, now, now + OUTBOX_LEASE):
            return
        try:
            self.service.deliver()
        finally:
            self.repo.release_lease("outbox", self.worker, self.clock())

    def _safe_cycle(self) -> None:
        try:
            self.cycle()
        except Exception:  # one bad cycle must not end the daemon; the next one runs
            log.exception("cycle failed")

    def _safe_digest(self) -> None:
        try:
            now = self.clock()
            if not self.repo.take_lease("digest", self.worker, now, now + DIGEST_LEASE):
                log.info("digest: another daemon sharing the database sends it")
                return
            self.service.send_digest()
        except Exception:
            log.exception("digest failed")

    def _digest_trigger(self) -> CronTrigger:
        day, time = self.settings.schedule.digest.split()
        hour, minute = (int(x) for x in time.split(":"))
        return CronTrigger(day_of_week=day, hour=hour, minute=minute)

    def digest_overdue(self, now: datetime) -> bool:
        """Whether a digest time passed while the daemon was down (it is then sent once)."""
        state = self.repo.daemon_state()
        if state is None:
            return False  # first start: the first digest comes at its time
        trigger = self._digest_trigger()
        last_end = self.repo.last_digest_end()
        since = last_end or state.started_at
        upcoming = trigger.get_next_fire_time(None, since.astimezone())
        return upcoming is not None and upcoming <= now.astimezone()

    def stop(self, *_args: Any) -> None:
        if not self.stopping.is_set():
            log.info("stopping: finishing the check in flight")
            notify("STOPPING=1")
            self.stopping.set()
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)

    def run(self) -> None:
        """Until SIGTERM or SIGINT."""
        executor = ThreadPoolExecutor(1)
        tick = self.settings.schedule.tick
        scheduler = BlockingScheduler(
            executors={"default": executor},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(tick.total_seconds()),
            },
        )
        self.scheduler = scheduler
        now = datetime.now().astimezone()
        scheduler.add_job(
            self._safe_cycle,
            IntervalTrigger(seconds=tick.total_seconds()),
            next_run_time=now,
            id="cycle",
        )
        scheduler.add_job(self._safe_digest, self._digest_trigger(), id="digest")
        if self.digest_overdue(self.clock()):
            scheduler.add_job(self._safe_digest, next_run_time=now, id="overdue-digest")
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        log.info(
            "watcher run: checking every %s, a cycle every %s, digest %s",
            self.settings.schedule.check_interval,
            tick,
            self.settings.schedule.digest,
        )
        notify("READY=1")
        try:
            scheduler.start()  # returns once stop() shut it down
        except JobLookupError:
            # A cycle that ended after the shutdown has no job left to reschedule.
            if not self.stopping.is_set():
                raise
        executor.shutdown(wait=True)  # the cycle in flight stops between two trials
        log.info("stopped")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop()
