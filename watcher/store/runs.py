"""Runs and leases: the daemon's schedule (claims, next checks), its heartbeat, the record of
each check run, and the jobs one daemon at a time does when several share the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watcher.core.model import CheckRun, DaemonState, Watch
from watcher.store.base import StoreBase, to_watch
from watcher.store.tables import CheckRunRow, DaemonRow, LeaseRow, WatchRow

# How long the record of check runs is kept.
RUNS_KEPT = timedelta(days=35)


def _run(row: CheckRunRow) -> CheckRun:
    return CheckRun(
        row.trigger, row.started_at, row.finished_at, row.checked, row.changed, row.failed
    )


class RunsMixin(StoreBase):
    # -- check runs: one row per `watcher check` and per daemon cycle -----------------------

    def record_run(self, run: CheckRun) -> None:
        """Keep the record of a finished run of checks."""
        with self._session() as session:
            session.add(
                CheckRunRow(
                    trigger=run.trigger,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    checked=run.checked,
                    changed=run.changed,
                    failed=run.failed,
                )
            )
            # A daemon cycle is up to a row a minute: the record goes back as far as a digest
            # and a month's look need, and no further, so that it never grows without bound.
            if run.finished_at is not None:
                session.execute(
                    delete(CheckRunRow).where(CheckRunRow.finished_at < run.finished_at - RUNS_KEPT)
                )

    def last_run(self, trigger: str) -> CheckRun | None:
        """The newest finished run of ``trigger`` ("daemon": the last completed cycle)."""
        with self._session(read_only=True) as session:
            row = session.scalar(
                select(CheckRunRow)
                .where(CheckRunRow.trigger == trigger, CheckRunRow.finished_at.is_not(None))
                .order_by(CheckRunRow.id.desc())
                .limit(1)
            )
            return None if row is None else _run(row)

    def runs_between(self, since: datetime, until: datetime) -> list[CheckRun]:
        """The runs finished in (since, until], oldest first."""
        with self._session(read_only=True) as session:
            return [
                _run(row)
                for row in session.scalars(
                    select(CheckRunRow)
                    .where(CheckRunRow.finished_at > since, CheckRunRow.finished_at <= until)
                    .order_by(CheckRunRow.id)
                )
            ]

    # -- the daemon's schedule ---------------------------------------------------------------

    def claim(self, now: datetime, limits: Mapping[str, int], lease_until: datetime) -> list[Watch]:
        """Take the due watches of each source (at most ``limits[source]``) for this daemon:
        their next check moves to ``lease_until``, so that another daemon sharing the database
        does not take them too, and one that died with them leaves them due again after it.
        PostgreSQL skips rows another daemon is claiming (FOR UPDATE SKIP LOCKED); SQLite has
        one writer at a time anyway. The watches come back as they were before the claim."""
        out = []
        with self._session() as session:
            sources = session.scalars(
                select(WatchRow.source).where(WatchRow.active.is_(True)).distinct()
            ).all()
            for source in sources:
                if limits.get(source, 0) <= 0:
                    continue  # not asked for: its budget for this cycle is spent
                rows = session.scalars(
                    select(WatchRow)
                    .where(WatchRow.active.is_(True), WatchRow.source == source)
                    .where((WatchRow.next_check_at.is_(None)) | (WatchRow.next_check_at <= now))
                    .order_by(
                        WatchRow.next_check_at.is_not(None), WatchRow.next_check_at, WatchRow.id
                    )
                    .limit(limits[source])
                    .with_for_update(skip_locked=True)
                ).all()
                out += [to_watch(row) for row in rows]
                self._set_next_checks(session, [(row.id, lease_until) for row in rows])
        return out

    def schedule(self, next_checks: Mapping[str, datetime]) -> None:
        """Set when each trial is checked next."""
        with self._session() as session:
            ids = session.execute(
                select(WatchRow.trial_id, WatchRow.id).where(
                    WatchRow.trial_id.in_(list(next_checks))
                )
            )
            self._set_next_checks(session, [(watch_id, next_checks[tid]) for tid, watch_id in ids])

    @staticmethod
    def _set_next_checks(session: Session, rows: Sequence[tuple[int, datetime]]) -> None:
        """One executemany for the lot: a cycle reschedules thousands of trials, and the ORM's
        unit of work costs more per row than the statement itself."""
        if rows:
            session.execute(
                update(WatchRow), [{"id": watch_id, "next_check_at": at} for watch_id, at in rows]
            )

    # -- leases and the heartbeat --------------------------------------------------------------

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold ``name`` until ``until`` unless another holder has it; False when it has."""
        try:
            with self._session() as session:
                row = session.get(LeaseRow, name, with_for_update=True)
                if row is None:
                    session.add(LeaseRow(name=name, holder=holder, until=until))
                elif row.holder != holder and row.until > now:
                    return False
                else:
                    row.holder, row.until = holder, until
        except IntegrityError:  # another daemon took it first, this very moment
            return False
        return True

    def release_lease(self, name: str, holder: str, now: datetime) -> None:
        with self._session() as session:
            row = session.get(LeaseRow, name, with_for_update=True)
            if row is not None and row.holder == holder:
                row.until = now

    def heartbeat(self, now: datetime, started_at: datetime, pid: int, host: str) -> None:
        """The daemon completed a cycle."""
        with self._session() as session:
            row = session.get(DaemonRow, 1)
            if row is None:
                row = DaemonRow(id=1, started_at=started_at, pid=pid, host=host, cycles=0)
                session.add(row)
            row.started_at, row.pid, row.host = started_at, pid, host
            row.last_cycle_at = now
            row.cycles += 1

    def daemon_state(self) -> DaemonState | None:
        """The daemon that completed the last cycle, and when."""
        with self._session(read_only=True) as session:
            row = session.get(DaemonRow, 1)
            if row is None:
                return None
            return DaemonState(row.started_at, row.pid, row.host, row.last_cycle_at, row.cycles)
