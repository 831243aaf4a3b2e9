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
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.daemon.sdnotify import notify
from watcher.results import Cycle

if TYPE_CHECKING:
    from watcher.service import Service

log = logging.getLogger(__name__)

# How long sending the outbox is one daemon's, and how long after one daemon sent the
# digest the others skip theirs.
OUTBOX_LEASE = timedelta(minutes=10)
DIGEST_LEASE = timedelta(hours=1)


def _watchdog(_done: int) -> None:
    """Each trial checked is a sign of life: a scheduler stuck in one request is restarted."""
    notify("WATCHDOG=1")


class Daemon:
    """``watcher run``: given the service, it checks, alerts and sends through it."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.settings = service.settings
        self.clock = service.clock
        self.stopping = threading.Event()
        self.started_at = self.clock()
        self.host = socket.gethostname()
        self.worker = f"{self.host}:{os.getpid()}"
        self.scheduler: BlockingScheduler | None = None

    def cycle(self) -> Cycle:
        """Send what is queued, check what is due (the service's ``check_due``: one alert for
        the whole cycle), and write the heartbeat."""
        if self.stopping.is_set():
            return Cycle(0, ())
        self._deliver()
        result = self.service.check_due(stop=self.stopping, progress=_watchdog)
        self.service.heartbeat(self.started_at, os.getpid(), self.host)
        notify("WATCHDOG=1")
        return result

    def _deliver(self) -> None:
        """Send what the outbox holds, unless another daemon is sending it now."""
        if not self.service.take_lease("outbox", self.worker, self.clock() + OUTBOX_LEASE):
            return
        try:
            self.service.deliver()
        finally:
            self.service.release_lease("outbox", self.worker)

    def _safe_cycle(self) -> None:
        try:
            self.cycle()
        except Exception:  # one bad cycle must not end the daemon; the next one runs
            log.exception("cycle failed")

    def _safe_digest(self) -> None:
        try:
            if not self.service.take_lease("digest", self.worker, self.clock() + DIGEST_LEASE):
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
        state = self.service.daemon_state()
        if state is None:
            return False  # first start: the first digest comes at its time
        trigger = self._digest_trigger()
        last_end = self.service.last_digest_end()
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
        # APScheduler works in local time; the moment itself comes from the one clock.
        now = self.clock().astimezone()
        scheduler.add_job(
            self._safe_cycle,
            IntervalTrigger(seconds=tick.total_seconds()),
            next_run_time=now,
            id="cycle",
        )
        scheduler.add_job(self._safe_digest, self._digest_trigger(), id="digest")
        if self.digest_overdue(now):
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
