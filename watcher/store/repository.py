"""Repository: the one way into the database; takes and returns ``watcher.model`` types."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import orjson
from sqlalchemy import Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from watcher.errors import StoreError, UnknownTrial
from watcher.model import (
    DaemonState,
    Fetched,
    Message,
    OutcomeKind,
    Queued,
    Record,
    Version,
    Watch,
)
from watcher.store import codec
from watcher.store.db import READ_ONLY
from watcher.store.models import (
    CheckLogRow,
    CheckRunRow,
    DaemonRow,
    LeaseRow,
    OutboxRow,
    SnapshotRow,
    WatchRow,
)


@dataclass(frozen=True, slots=True)
class CheckLogEntry:
    outcome: str
    first_at: datetime
    last_at: datetime
    count: int
    version: int | None
    error: str | None


class Latest(NamedTuple):
    """What an unchanged check is decided on, without loading the record."""

    version: int
    content_hash: str
    payload_hash: str | None


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A check that found the stored version still current."""

    trial_id: str
    at: datetime
    redirected_to: str | None = None
    payload_hash: str | None = None


class VersionConflict(StoreError):
    """Another process stored a version of the same trial in the meantime."""


def _watch(row: WatchRow) -> Watch:
    return Watch(
        trial_id=row.trial_id,
        registry=row.registry_name,
        source=row.source,
        label=row.label,
        tags=tuple(row.tags or ()),
        active=row.active,
        added_at=row.added_at,
        last_checked_at=row.last_checked_at,
        last_changed_at=row.last_changed_at,
        last_outcome=row.last_outcome,  # type: ignore[arg-type]
        consecutive_failures=row.consecutive_failures,
        last_error=row.last_error,
        redirected_to=row.redirected_to,
        versions=row.version_count,
        last_success_at=row.last_success_at,
        failing_since=row.failing_since,
        next_check_at=row.next_check_at,
    )


def _queued(row: OutboxRow) -> Queued:
    message = Message(
        kind=row.kind,  # type: ignore[arg-type]
        message_id=row.message_id,
        recipients=tuple(row.recipients),
        subject=row.subject,
        text=row.text,
        html=row.html,
        period_start=row.period_start,
        period_end=row.period_end,
        channel=row.channel,
    )
    return Queued(
        id=row.id,
        message=message,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )


def _version(row: SnapshotRow, trial_id: str, record: bytes) -> Version:
    return Version(
        trial_id=trial_id,
        version=row.version,
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        source=row.source,
        record=orjson.loads(record),
        changes=row.changes,
    )


def _success(at: datetime, kind: str, redirected_to: str | None) -> dict[str, object]:
    """What a successful check sets on its watch."""
    values: dict[str, object] = {
        "last_checked_at": at,
        "last_success_at": at,
        "last_outcome": kind,
        "consecutive_failures": 0,
        "last_error": None,
        "failing_since": None,
    }
    if redirected_to is not None:
        values["redirected_to"] = redirected_to
    return values


def _extends_run(
    last_outcome: str, last_error: str | None, outcome: str, error: str | None
) -> bool:
    """Whether a check adds to the check log's last run instead of starting one: the same
    unchanged or failed outcome (a version or baseline is always its own row)."""
    return outcome in ("unchanged", "failed") and (last_outcome, last_error) == (outcome, error)


def _unpacked(rows: Sequence[SnapshotRow]) -> list[tuple[bytes, bytes]]:
    """(record, raw payload) of consecutive versions of one trial, oldest first; the first
    must be stored whole (codec.FULL)."""
    out: list[tuple[bytes, bytes]] = []
    for row in rows:
        before = out[-1] if out else (None, None)
        if row.codec == codec.DELTA and not out:
            raise StoreError(f"version {row.version} is stored against a version not read")
        out.append(
            (
                codec.unpack(row.record_packed, row.codec, before[0]),
                codec.unpack(row.raw, row.codec, before[1]),
            )
        )
    return out


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @contextmanager
    def _session(self, *, read_only: bool = False) -> Iterator[Session]:
        """One transaction; ``read_only`` ones never wait for a writer (see store.db)."""
        factory = self._readers if read_only else self._sessions
        try:
            with factory.begin() as session:
                yield session
        except OperationalError as e:
            raise StoreError(f"database: {e.orig}") from None

    @staticmethod
    def _row(session: Session, trial_id: str) -> WatchRow:
        row = session.scalar(select(WatchRow).where(WatchRow.trial_id == trial_id))
        if row is None:
            raise UnknownTrial(trial_id)
        return row

    # -- the watch list ----------------------------------------------------------------------

    def add_watches(
        self, watches: Sequence[Watch], now: datetime, *, reactivate: bool = True
    ) -> list[str]:
        """Watch each trial (again, if it was removed, unless ``reactivate`` is false) with
        its source, label and tags; the rest of each ``Watch`` (check state) is the
        database's. All or nothing. Returns the IDs that were not already watched."""
        added = []
        with self._session() as session:
            for new in watches:
                row = session.scalar(select(WatchRow).where(WatchRow.trial_id == new.trial_id))
                if row is None:
                    session.add(
                        WatchRow(
                            trial_id=new.trial_id,
                            registry_name=new.registry,
                            source=new.source,
                            label=new.label,
                            tags=sorted(set(new.tags)),
                            active=True,
                            added_at=now,
                            consecutive_failures=0,
                            version_count=0,
                        )
                    )
                    added.append(new.trial_id)
                    continue
                if not reactivate:
                    continue  # a member record the user removed stays removed
                if not row.active:
                    row.active, row.removed_at = True, None
                    added.append(new.trial_id)
                row.source = new.source
                if new.label is not None:
                    row.label = new.label
                if new.tags:
                    row.tags = sorted(set(row.tags or ()) | set(new.tags))
        return added

    def remove(self, trial_ids: Iterable[str], now: datetime) -> None:
        """Stop watching; versions and the check log are kept. Unknown IDs change nothing."""
        with self._session() as session:
            rows = [self._row(session, tid) for tid in trial_ids]
            for row in rows:
                if row.active:
                    row.active, row.removed_at = False, now

    def watches(self, *, tag: str | None = None, include_removed: bool = False) -> list[Watch]:
        with self._session(read_only=True) as session:
            query = select(WatchRow).order_by(WatchRow.trial_id)
            if not include_removed:
                query = query.where(WatchRow.active.is_(True))
            out = [_watch(row) for row in session.scalars(query)]
        return [w for w in out if tag is None or tag in w.tags]

    def watch(self, trial_id: str) -> Watch:
        with self._session(read_only=True) as session:
            return _watch(self._row(session, trial_id))

    # -- versions ----------------------------------------------------------------------------

    def latest_hashes(self, trial_ids: Sequence[str]) -> dict[str, Latest]:
        """The newest version of each trial that has one, by its hashes; one query per 500
        trials, so that an unchanged check never loads a record."""
        out: dict[str, Latest] = {}
        with self._session(read_only=True) as session:
            for start in range(0, len(trial_ids), 500):
                chunk = trial_ids[start : start + 500]
                rows = session.execute(
                    select(
                        WatchRow.trial_id,
                        SnapshotRow.version,
                        SnapshotRow.content_hash,
                        WatchRow.payload_hash,
                    )
                    .join(SnapshotRow, SnapshotRow.watch_id == WatchRow.id)
                    .where(WatchRow.trial_id.in_(chunk))
                    .where(SnapshotRow.version == WatchRow.version_count)
                )
                for tid, version, content_hash, payload_hash in rows:
                    out[tid] = Latest(version, content_hash, payload_hash)
        return out

    def history(self, trial_id: str) -> list[Version]:
        """Every version of a trial, oldest first."""
        with self._session(read_only=True) as session:
            row = self._row(session, trial_id)
            snapshots = self._snapshots(session, row.id)
            return [
                _version(s, trial_id, record)
                for s, (record, _raw) in zip(snapshots, _unpacked(snapshots), strict=True)
            ]

    @staticmethod
    def _snapshots(session: Session, watch_id: int) -> list[SnapshotRow]:
        return list(
            session.scalars(
                select(SnapshotRow)
                .where(SnapshotRow.watch_id == watch_id)
                .order_by(SnapshotRow.version)
            )
        )

    @staticmethod
    def _snapshot(
        session: Session, row: WatchRow, number: int | None
    ) -> tuple[SnapshotRow, bytes, bytes]:
        """Version ``number`` of a watched trial (its newest when None) with its record and
        raw payload unpacked, or ``UnknownTrial`` saying which versions there are."""
        wanted = row.version_count if number is None else number
        # A version is stored against the one before, back to a whole one at most
        # KEYFRAME_EVERY versions earlier.
        chain = list(
            session.scalars(
                select(SnapshotRow)
                .where(
                    SnapshotRow.watch_id == row.id,
                    SnapshotRow.version <= wanted,
                    SnapshotRow.version > wanted - codec.KEYFRAME_EVERY,
                )
                .order_by(SnapshotRow.version)
            )
        )
        if not chain or chain[-1].version != wanted:
            why = (
                "no version stored yet"
                if row.version_count == 0
                else f"no version {wanted} (versions 1 to {row.version_count})"
            )
            raise UnknownTrial(row.trial_id, why)
        start = max(i for i, s in enumerate(chain) if s.codec == codec.FULL)
        record, raw = _unpacked(chain[start:])[-1]
        return chain[-1], record, raw

    def version(self, trial_id: str, number: int | None = None) -> Version:
        """Version ``number`` of a trial, or its newest when ``number`` is None."""
        with self._session(read_only=True) as session:
            row = self._row(session, trial_id)
            snapshot, record, _raw = self._snapshot(session, row, number)
            return _version(snapshot, trial_id, record)

    def rehash(self, trial_id: str, number: int, content_hash: str) -> None:
        """Replace a version's hash by the current hash function's hash of the same record
        (the record itself is never changed)."""
        with self._session() as session:
            row = self._row(session, trial_id)
            self._snapshot(session, row, number)[0].content_hash = content_hash

    def raw_payload(self, trial_id: str, number: int) -> tuple[bytes, str]:
        """The register's payload of a version, as fetched, and its content type."""
        with self._session(read_only=True) as session:
            snapshot, _record, raw = self._snapshot(session, self._row(session, trial_id), number)
            return raw, snapshot.raw_content_type

    # -- recording checks ------------------------------------------------------------------

    def record_unchanged(
        self, trial_id: str, at: datetime, redirected_to: str | None = None
    ) -> None:
        self.record_unchanged_many([Unchanged(trial_id, at, redirected_to)])

    def record_unchanged_many(self, checks: Sequence[Unchanged]) -> None:
        """Log many unchanged checks in one transaction and a handful of statements: most
        checks of a cycle are these, and one transaction each was most of a cycle's cost."""
        with self._session() as session:
            for start in range(0, len(checks), 500):
                self._unchanged_chunk(session, checks[start : start + 500])

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
        newest = (
            select(func.max(CheckLogRow.id))
            .where(CheckLogRow.watch_id.in_(list(ids.values())))
            .group_by(CheckLogRow.watch_id)
        )
        runs = {
            watch_id: (log_id, outcome, error)
            for log_id, watch_id, outcome, error in session.execute(
                select(
                    CheckLogRow.id, CheckLogRow.watch_id, CheckLogRow.outcome, CheckLogRow.error
                ).where(CheckLogRow.id.in_(newest))
            )
        }
        watch_rows: list[dict[str, object]] = []
        extend: list[dict[str, object]] = []
        start: list[dict[str, object]] = []
        for check in checks:
            watch_id = ids[check.trial_id]
            values = {"id": watch_id, **_success(check.at, "unchanged", check.redirected_to)}
            if check.payload_hash is not None:
                values["payload_hash"] = check.payload_hash
            watch_rows.append(values)
            run = runs.get(watch_id)
            if run is not None and _extends_run(run[1], run[2], "unchanged", None):
                extend.append({"id": run[0], "last_at": check.at})
            else:
                start.append(
                    {
                        "watch_id": watch_id,
                        "outcome": "unchanged",
                        "first_at": check.at,
                        "last_at": check.at,
                        "count": 1,
                    }
                )
        # Rows of different keys cannot share one executemany.
        for keys in {tuple(sorted(v)) for v in watch_rows}:
            session.execute(update(WatchRow), [v for v in watch_rows if tuple(sorted(v)) == keys])
        if extend:
            table = CheckLogRow.__table__
            assert isinstance(table, Table)
            log = table.c
            session.connection().execute(
                update(table)
                .where(log.id == bindparam("log_id"))
                .values(last_at=bindparam("at"), count=log.count + 1),
                [{"log_id": e["id"], "at": e["last_at"]} for e in extend],
            )
        if start:
            session.execute(insert(CheckLogRow), start)

    def add_version(
        self,
        trial_id: str,
        *,
        at: datetime,
        fetched: Fetched,
        record: Record,
        content_hash: str,
        previous: int,
        changes: int,
        payload_hash: str | None = None,
    ) -> int:
        """Store a new version after ``previous`` and return its number. Raises
        ``VersionConflict`` when another process stored one first; the caller compares again."""
        number = previous + 1
        kind: OutcomeKind = "baseline" if previous == 0 else "changed"
        try:
            with self._session() as session:
                row = self._row(session, trial_id)
                if row.version_count != previous:
                    raise VersionConflict(
                        f"{trial_id}: version {row.version_count} stored meanwhile"
                    )
                packed = orjson.dumps(record)
                # A keyframe is compressed on its own: no need to unpack the version before.
                wanted = previous and not codec.is_keyframe(number)
                before = self._snapshot(session, row, previous)[1:] if wanted else None
                how = codec.codec_for(number, before[0] if before else None)
                session.add(
                    SnapshotRow(
                        watch_id=row.id,
                        version=number,
                        fetched_at=at,
                        source=fetched.source,
                        content_hash=content_hash,
                        codec=how,
                        record_packed=codec.pack(packed, how, before[0] if before else None),
                        raw=codec.pack(fetched.payload, how, before[1] if before else None),
                        raw_content_type=fetched.content_type,
                        url=fetched.url,
                        changes=changes,
                    )
                )
                row.version_count = number
                row.payload_hash = payload_hash
                row.last_changed_at = at
                self._succeeded(row, at, kind, fetched.redirected_to)
                self._log(session, row, kind, at, version=number)
        except IntegrityError:
            raise VersionConflict(f"{trial_id}: version {number} stored meanwhile") from None
        return number

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
            self._log(session, row, "failed", at, error=error)
            return row.consecutive_failures

    @staticmethod
    def _succeeded(row: WatchRow, at: datetime, kind: str, redirected_to: str | None) -> None:
        for key, value in _success(at, kind, redirected_to).items():
            setattr(row, key, value)

    @staticmethod
    def _log(
        session: Session,
        row: WatchRow,
        outcome: str,
        at: datetime,
        *,
        version: int | None = None,
        error: str | None = None,
    ) -> None:
        last = session.scalar(
            select(CheckLogRow)
            .where(CheckLogRow.watch_id == row.id)
            .order_by(CheckLogRow.id.desc())
            .limit(1)
        )
        if last is not None and _extends_run(last.outcome, last.error, outcome, error):
            last.last_at = at
            last.count += 1
            return
        session.add(
            CheckLogRow(
                watch_id=row.id,
                outcome=outcome,
                first_at=at,
                last_at=at,
                count=1,
                version=version,
                error=error,
            )
        )

    def check_log(self, trial_id: str) -> list[CheckLogEntry]:
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

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, trigger: str, at: datetime) -> int:
        with self._session() as session:
            run = CheckRunRow(started_at=at, trigger=trigger, checked=0, changed=0, failed=0)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(
        self, run_id: int, at: datetime, *, checked: int, changed: int, failed: int
    ) -> None:
        with self._session() as session:
            run = session.get(CheckRunRow, run_id)
            if run is None:
                raise StoreError(f"check run {run_id} is missing")
            run.finished_at, run.checked, run.changed, run.failed = at, checked, changed, failed

    def last_run(self) -> tuple[datetime, datetime | None, int, int, int] | None:
        """(started, finished, checked, changed, failed) of the newest check run."""
        with self._session(read_only=True) as session:
            run = session.scalar(select(CheckRunRow).order_by(CheckRunRow.id.desc()).limit(1))
            if run is None:
                return None
            return run.started_at, run.finished_at, run.checked, run.changed, run.failed

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
                out += [_watch(row) for row in rows]
                self._set_next_checks(session, [(row.id, lease_until) for row in rows])
        return out

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
        with self._session(read_only=True) as session:
            row = session.get(DaemonRow, 1)
            if row is None:
                return None
            return DaemonState(row.started_at, row.pid, row.host, row.last_cycle_at, row.cycles)

    # -- versions of a period ---------------------------------------------------------------

    def changed_since(
        self, since: datetime, until: datetime | None = None
    ) -> list[tuple[Watch, list[Version]]]:
        """The trials with a version fetched in (since, until], each with those versions and
        the one before them (what the first change is measured from), oldest first."""
        out = []
        with self._session(read_only=True) as session:
            query = select(WatchRow).where(WatchRow.last_changed_at > since)
            for row in session.scalars(query.order_by(WatchRow.trial_id)):
                snapshots = self._snapshots(session, row.id)
                inside = [
                    i
                    for i, s in enumerate(snapshots)
                    if s.fetched_at > since and (until is None or s.fetched_at <= until)
                ]
                if not inside:
                    continue
                first = max(inside[0] - 1, 0)
                unpacked = _unpacked(snapshots[: inside[-1] + 1])
                versions = [
                    _version(snapshots[i], row.trial_id, unpacked[i][0])
                    for i in range(first, inside[-1] + 1)
                ]
                out.append((_watch(row), versions))
        return out

    # -- the outbox -------------------------------------------------------------------------

    def enqueue(self, message: Message, at: datetime) -> int:
        with self._session() as session:
            row = OutboxRow(
                kind=message.kind,
                channel=message.channel,
                created_at=at,
                message_id=message.message_id,
                recipients=list(message.recipients),
                subject=message.subject,
                text=message.text,
                html=message.html,
                status="queued",
                attempts=0,
                next_attempt_at=at,
                period_start=message.period_start,
                period_end=message.period_end,
            )
            session.add(row)
            session.flush()
            return row.id

    def outbox(self, *, due_at: datetime | None = None, status: str | None = None) -> list[Queued]:
        """Messages, oldest first: all, those with ``status``, or the queued ones due."""
        with self._session(read_only=True) as session:
            query = select(OutboxRow).order_by(OutboxRow.id)
            if status is not None:
                query = query.where(OutboxRow.status == status)
            if due_at is not None:
                query = query.where(
                    OutboxRow.status == "queued", OutboxRow.next_attempt_at <= due_at
                )
            return [_queued(row) for row in session.scalars(query)]

    def mark_sent(self, outbox_id: int, at: datetime) -> None:
        with self._session() as session:
            row = session.get(OutboxRow, outbox_id)
            if row is not None:
                row.status, row.sent_at, row.last_error = "sent", at, None
                row.attempts += 1

    def mark_failed(self, outbox_id: int, error: str, retry_at: datetime) -> None:
        with self._session() as session:
            row = session.get(OutboxRow, outbox_id)
            if row is not None:
                row.attempts += 1
                row.last_error = error
                row.next_attempt_at = retry_at

    def last_digest_end(self) -> datetime | None:
        """Where the newest queued or sent digest's period ended."""
        with self._session(read_only=True) as session:
            return session.scalar(
                select(func.max(OutboxRow.period_end)).where(OutboxRow.kind == "digest")
            )

    def count_rows(self) -> dict[str, int]:
        """Rows per table: for tests and `status`."""
        with self._session(read_only=True) as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (WatchRow, SnapshotRow, CheckLogRow, CheckRunRow, OutboxRow)
            }
