"""The check log: every check of every trial, run-length encoded, and the failure state it
leaves on the watch.

A run of identical outcomes ("unchanged" for 300 days, the same error every day) is one row
whose ``count`` grows; a new version is always a row of its own. ``write_log`` is the log's one
writer: a single check and a batch of 500 unchanged checks go through it alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from watcher.errors import UnknownTrial
from watcher.store.base import StoreBase
from watcher.store.protocol import CheckLogEntry, Unchanged
from watcher.store.tables import CheckLogRow, WatchRow

# How many checks one batch of statements writes (SQLite allows 32,766 bound values).
CHUNK = 500


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One check to log against a watch row."""

    watch_id: int
    outcome: str
    at: datetime
    version: int | None = None
    error: str | None = None


def success_values(
    at: datetime, kind: str, redirected_to: str | None, fetched: bool = True
) -> dict[str, Any]:
    """What a successful check sets on its watch (``fetched``: its record was read)."""
    values: dict[str, Any] = {
        "last_checked_at": at,
        "last_success_at": at,
        "last_outcome": kind,
        "consecutive_failures": 0,
        "last_error": None,
        "failing_since": None,
    }
    if redirected_to is not None:
        values["redirected_to"] = redirected_to
    if fetched:
        values["fetched_at"] = at
    return values


def _extends_run(
    last_outcome: str, last_error: str | None, outcome: str, error: str | None
) -> bool:
    """Whether a check adds to the check log's last run instead of starting one: the same
    unchanged or failed outcome (a version or baseline is always its own row)."""
    return outcome in ("unchanged", "failed") and (last_outcome, last_error) == (outcome, error)


def write_log(session: Session, entries: Sequence[LogEntry]) -> None:
    """Log checks: each extends its trial's last run when it repeats it, else starts a run.
    Three statements for the lot (the last runs, their updates, the new runs)."""
    if not entries:
        return
    newest = (
        select(func.max(CheckLogRow.id))
        .where(CheckLogRow.watch_id.in_({e.watch_id for e in entries}))
        .group_by(CheckLogRow.watch_id)
    )
    last = {
        watch_id: (log_id, outcome, error)
        for log_id, watch_id, outcome, error in session.execute(
            select(
                CheckLogRow.id, CheckLogRow.watch_id, CheckLogRow.outcome, CheckLogRow.error
            ).where(CheckLogRow.id.in_(newest))
        )
    }
    extend: dict[int, dict[str, Any]] = {}
    started: dict[int, dict[str, Any]] = {}  # by watch: the run this batch started last
    for e in entries:
        new = started.get(e.watch_id)
        if new is not None and _extends_run(new["outcome"], new["error"], e.outcome, e.error):
            new["last_at"], new["count"] = e.at, new["count"] + 1
            continue
        run = last.get(e.watch_id)
        if new is None and run is not None and _extends_run(run[1], run[2], e.outcome, e.error):
            grown = extend.setdefault(run[0], {"log_id": run[0], "at": e.at, "n": 0})
            grown["at"], grown["n"] = e.at, grown["n"] + 1
            continue
        started[e.watch_id] = {
            "watch_id": e.watch_id,
            "outcome": e.outcome,
            "first_at": e.at,
            "last_at": e.at,
            "count": 1,
            "version": e.version,
            "error": e.error,
        }
        # Runs started earlier in this batch are complete: write them as they are.
        if new is not None:
            session.execute(insert(CheckLogRow), [new])
    if extend:
        table = CheckLogRow.__table__
        assert isinstance(table, Table)
        log = table.c
        # Runs grown alike (a cycle's unchanged checks: the same time, one more each) in one
        # statement per kind of growth.
        alike: dict[tuple[datetime, int], list[int]] = {}
        for grown in extend.values():
            alike.setdefault((grown["at"], grown["n"]), []).append(grown["log_id"])
        alone = [
            {"log_id": ids[0], "at": at, "n": n} for (at, n), ids in alike.items() if len(ids) == 1
        ]
        for (at, n), log_ids in alike.items():
            if len(log_ids) > 1:
                session.connection().execute(
                    update(table).where(log.id.in_(log_ids)).values(last_at=at, count=log.count + n)
                )
        if alone:
            session.connection().execute(
                update(table)
                .where(log.id == bindparam("log_id"))
                .values(last_at=bindparam("at"), count=log.count + bindparam("n")),
                alone,
            )
    if started:
        session.execute(insert(CheckLogRow), list(started.values()))


class CheckLogMixin(StoreBase):
    def record_unchanged(
        self, trial_id: str, at: datetime, redirected_to: str | None = None
    ) -> None:
        self.record_unchanged_many([Unchanged(trial_id, at, redirected_to)])

    def record_unchanged_many(self, checks: Sequence[Unchanged]) -> None:
        """Log many unchanged checks in one transaction and a handful of statements: most
        checks of a cycle are these, and one transaction each was most of a cycle's cost."""
        with self._session() as session:
            for start in range(0, len(checks), CHUNK):
                self._unchanged_chunk(session, checks[start : start + CHUNK])

    @staticmethod
    def _unchanged_chunk(session: Session, checks: Sequence[Unchanged]) -> None:
        ids: dict[str, int] = {
            tid: watch_id
            for tid, watch_id in session.execute(
                select(WatchRow.trial_id, WatchRow.id).where(
                    WatchRow.trial_id.in_([c.trial_id for c in checks])
                )
            )
        }
        if missing := [c.trial_id for c in checks if c.trial_id not in ids]:
            raise UnknownTrial(missing[0])
        # Most checks of a run set the same values (the same time, nothing redirected): one
        # UPDATE ... WHERE id IN (...) for each set of values, not a statement per row. A
        # fetched record's payload hash is each its own: one executemany for those.
        same: dict[tuple[tuple[str, Any], ...], list[int]] = {}
        hashes: list[dict[str, Any]] = []
        for check in checks:
            values = success_values(check.at, "unchanged", check.redirected_to, check.fetched)
            same.setdefault(tuple(sorted(values.items())), []).append(ids[check.trial_id])
            if check.payload_hash is not None:
                hashes.append({"id": ids[check.trial_id], "payload_hash": check.payload_hash})
        alone: list[dict[str, Any]] = []  # (checks of their own time: trials fetched one by one)
        for items, watch_ids in same.items():
            if len(watch_ids) == 1:
                alone.append({"id": watch_ids[0], **dict(items)})
                continue
            session.execute(
                update(WatchRow)
                .where(WatchRow.id.in_(watch_ids))
                .values(dict(items))
                .execution_options(synchronize_session=False)
            )
        # Rows of different keys cannot share one executemany.
        for keys in {tuple(sorted(v)) for v in alone}:
            session.execute(update(WatchRow), [v for v in alone if tuple(sorted(v)) == keys])
        if hashes:
            session.execute(update(WatchRow), hashes)
        write_log(session, [LogEntry(ids[c.trial_id], "unchanged", c.at) for c in checks])

    def record_failure(self, trial_id: str, at: datetime, error: str) -> int:
        """Log a failed check; returns how many checks in a row have now failed."""
        with self._session() as session:
            row = self._row(session, trial_id)
            row.last_checked_at = at
            row.last_outcome = "failed"
            row.consecutive_failures += 1
            row.last_error = error
            if row.failing_since is None:
                row.failing_since = at
            write_log(session, [LogEntry(row.id, "failed", at, error=error)])
            return row.consecutive_failures

    def check_log(self, trial_id: str) -> list[CheckLogEntry]:
        """A trial's checks, oldest first, a run of identical outcomes to an entry."""
        with self._session(read_only=True) as session:
            row = self._row(session, trial_id)
            return [
                CheckLogEntry(r.outcome, r.first_at, r.last_at, r.count, r.version, r.error)
                for r in session.scalars(
                    select(CheckLogRow)
                    .where(CheckLogRow.watch_id == row.id)
                    .order_by(CheckLogRow.id)
                )
            ]
