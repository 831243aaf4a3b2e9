"""Versions: each trial's records, append-only, stored compressed against the version before."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import orjson
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from watcher.core.flags import facts_of, fold
from watcher.core.headline import Headline
from watcher.core.links import linked_ids
from watcher.core.model import Fetched, Latest, OutcomeKind, Record, Version, Watch, record_title
from watcher.errors import StoreError, UnknownTrial, VersionConflict
from watcher.store import codec
from watcher.store.base import fits, to_watch
from watcher.store.checks import LogEntry, success_values, write_log
from watcher.store.dictionaries import DictionariesMixin
from watcher.store.protocol import Reading, Reread
from watcher.store.tables import CheckLogRow, SnapshotRow, WatchRow


def _version(row: SnapshotRow, trial_id: str, record: bytes) -> Version:
    return Version(
        trial_id=trial_id,
        version=row.version,
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        source=row.source,
        record=orjson.loads(record),
        changes=row.changes,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        review_note=row.review_note,
        significance=row.significance,
    )


def _set_facts(row: WatchRow, record: Record, at: datetime, headline: Headline | None) -> None:
    """What the watch row tells of its latest version without reading it."""
    row.links = linked_ids(record)
    row.record_title = record_title(record)
    row.record_status = fits(record.get("recruitment_status"), 200)
    row.last_changed_at = at
    if headline is not None and headline.significance != "metadata":
        row.latest_change = headline.summary
        row.latest_change_significance = headline.significance
        row.latest_change_at = at


Review = tuple["str | None", "datetime | None", "str | None"]


def _reviews_kept(
    kept: Sequence[Reread], read: int, numbers: dict[int, int], rows: Sequence[SnapshotRow]
) -> dict[int, Review]:
    """The review trail of the versions kept by a re-reading, by their new numbers: each keeps
    its own. A version dropped (it differed only by the old parser's reading) hands its review
    to the kept version before it when that one has changes of its own to review; before the
    first version there is nothing it could apply to."""
    out: dict[int, Review] = {n: (None, None, None) for n in range(1, len(kept) + 1)}
    current = 1
    for row in rows:
        current = numbers.get(row.version, current)
        if row.reviewed_at is not None and out[current][1] is None and current > 1:
            out[current] = (row.reviewed_by, row.reviewed_at, row.review_note)
    return out


class VersionsMixin(DictionariesMixin):
    def _unpacked(
        self, session: Session, rows: Sequence[SnapshotRow], raw: bool = True
    ) -> list[tuple[bytes, bytes]]:
        """(record, raw payload) of consecutive versions of one trial, oldest first; the
        first must be stored on its own. ``raw`` false: the records alone (the raw payloads
        are empty), which is what reading changes needs: a payload costs as much to unpack as
        its record, and it was not read (``_snapshots(..., raw=False)``)."""
        out: list[tuple[bytes, bytes]] = []
        for row in rows:
            before = out[-1] if out else (None, None)
            if row.codec == codec.DELTA and not out:
                raise StoreError(f"version {row.version} is stored against a version not read")
            trained = self._dictionaries_for(session, row.codec) or (None, None)
            out.append(
                (
                    codec.unpack(row.record_packed, row.codec, before[0], trained[0]),
                    codec.unpack(row.raw, row.codec, before[1], trained[1]) if raw else b"",
                )
            )
        return out

    def _packed(
        self,
        session: Session,
        number: int,
        source: str,
        data: tuple[bytes, bytes],
        before: tuple[bytes, bytes] | None,
    ) -> tuple[str, bytes, bytes]:
        """Version ``number``'s codec, record and raw payload as stored: against the version
        before, or on its own with the register's newest trained dictionary if it has one."""
        how = codec.codec_for(number, before, self._newest_dictionary(session, source))
        trained = self._dictionaries_for(session, how) or (None, None)
        return (
            how,
            codec.pack(data[0], how, before[0] if before else None, trained[0]),
            codec.pack(data[1], how, before[1] if before else None, trained[1]),
        )

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
                        SnapshotRow.parser,
                        SnapshotRow.source,
                    )
                    .join(SnapshotRow, SnapshotRow.watch_id == WatchRow.id)
                    .where(WatchRow.trial_id.in_(chunk))
                    .where(SnapshotRow.version == WatchRow.version_count)
                )
                for tid, version, content_hash, payload_hash, parser, source in rows:
                    out[tid] = Latest(version, content_hash, payload_hash, parser, source)
        return out

    def history(self, trial_id: str) -> list[Version]:
        """Every version of a trial, oldest first."""
        with self._session(read_only=True) as session:
            row = self._row(session, trial_id)
            snapshots = self._snapshots(session, row.id, raw=False)
            return [
                _version(s, trial_id, record)
                for s, (record, _raw) in zip(
                    snapshots, self._unpacked(session, snapshots, raw=False), strict=True
                )
            ]

    @staticmethod
    def _snapshots(session: Session, watch_id: int, raw: bool = True) -> list[SnapshotRow]:
        """A trial's stored versions, oldest first; ``raw`` false: without their payloads."""
        query = select(SnapshotRow).where(SnapshotRow.watch_id == watch_id)
        if not raw:
            query = query.options(defer(SnapshotRow.raw))
        return list(session.scalars(query.order_by(SnapshotRow.version)))

    def _snapshot(
        self, session: Session, row: WatchRow, number: int | None
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
        start = max(i for i, s in enumerate(chain) if codec.standalone(s.codec))
        record, raw = self._unpacked(session, chain[start:])[-1]
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
        parser: str | None = None,
        headline: Headline | None = None,
    ) -> int:
        """Store a new version after ``previous`` and return its number; ``headline`` says
        its changes in a line. Raises ``VersionConflict`` when another process stored one
        first; the caller compares again."""
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
                how, record_packed, raw_packed = self._packed(
                    session, number, fetched.source, (packed, fetched.payload), before
                )
                facts = row.flag_facts if previous else None
                if previous and facts is None:
                    # Facts never read (versions stored before they were kept): all versions.
                    stored = self._unpacked(
                        session, self._snapshots(session, row.id, raw=False), raw=False
                    )
                    facts = facts_of([orjson.loads(r) for r, _raw in stored])
                session.add(
                    SnapshotRow(
                        watch_id=row.id,
                        version=number,
                        fetched_at=at,
                        source=fetched.source,
                        content_hash=content_hash,
                        codec=how,
                        record_packed=record_packed,
                        raw=raw_packed,
                        raw_content_type=fits(fetched.content_type, 100),
                        url=fetched.url,
                        changes=changes,
                        parser=parser,
                        alerted=not changes,  # a baseline or a restart tells nothing
                        significance=headline.significance if headline else None,
                    )
                )
                row.flag_facts = fold(facts, record)
                row.version_count = number
                row.payload_hash = payload_hash
                _set_facts(row, record, at, headline)
                for key, value in success_values(at, kind, fetched.redirected_to).items():
                    setattr(row, key, value)
                write_log(session, [LogEntry(row.id, kind, at, version=number)])
        except IntegrityError:
            raise VersionConflict(f"{trial_id}: version {number} stored meanwhile") from None
        return number

    def readings(self, trial_id: str) -> list[Reading]:
        """Every version with its raw payload, oldest first: what a re-reading starts from."""
        with self._session(read_only=True) as session:
            snapshots = self._snapshots(session, self._row(session, trial_id).id)
            return [
                Reading(
                    s.version,
                    s.fetched_at,
                    s.source,
                    raw,
                    s.raw_content_type,
                    s.url,
                    s.parser,
                    orjson.loads(record),
                    s.content_hash,
                )
                for s, (record, raw) in zip(
                    snapshots, self._unpacked(session, snapshots), strict=True
                )
            ]

    def replace_history(self, trial_id: str, kept: Sequence[Reread], read: int) -> None:
        """Store a trial's versions as read again (``read``: how many versions the re-reading
        started from): those kept, numbered from 1 in order and compressed anew, since each
        is stored against the one before; a version not kept hands its check-log rows to
        the version before it. One transaction: an interrupted re-reading changes nothing."""
        with self._session() as session:
            row = self._row(session, trial_id)
            if row.version_count != read:
                raise VersionConflict(f"{trial_id}: version {row.version_count} stored meanwhile")
            numbers = {k.reading.version: n for n, k in enumerate(kept, 1)}
            reviews = _reviews_kept(kept, read, numbers, self._snapshots(session, row.id))
            renumber, current = {}, 1
            for version in range(1, read + 1):
                current = numbers.get(version, current)
                renumber[version] = current
            session.execute(delete(SnapshotRow).where(SnapshotRow.watch_id == row.id))
            before: tuple[bytes, bytes] | None = None
            for number, reread in enumerate(kept, 1):
                packed = orjson.dumps(reread.record)
                how, record_packed, raw_packed = self._packed(
                    session, number, reread.reading.source, (packed, reread.reading.raw), before
                )
                session.add(
                    SnapshotRow(
                        watch_id=row.id,
                        version=number,
                        fetched_at=reread.reading.fetched_at,
                        source=reread.reading.source,
                        content_hash=reread.content_hash,
                        codec=how,
                        record_packed=record_packed,
                        raw=raw_packed,
                        raw_content_type=fits(reread.reading.content_type, 100),
                        url=reread.reading.url,
                        changes=reread.changes,
                        significance=reread.headline.significance if reread.headline else None,
                        parser=reread.parser,
                        reviewed_by=reviews[number][0],
                        reviewed_at=reviews[number][1],
                        review_note=reviews[number][2],
                    )
                )
                before = (packed, reread.reading.raw)
            moved = [
                {"log_id": log_id, "to": renumber.get(v or 0, len(kept))}
                for log_id, v in session.execute(
                    select(CheckLogRow.id, CheckLogRow.version).where(
                        CheckLogRow.watch_id == row.id, CheckLogRow.version.is_not(None)
                    )
                )
                if renumber.get(v or 0, len(kept)) != v
            ]
            if moved:
                table = CheckLogRow.__table__
                assert isinstance(table, Table)
                session.connection().execute(
                    update(table)
                    .where(table.c.id == bindparam("log_id"))
                    .values(version=bindparam("to")),
                    moved,
                )
            row.version_count = len(kept)
            row.payload_hash = None  # the next check reads its payload again
            row.flag_facts = facts_of([k.record for k in kept])
            row.latest_change = row.latest_change_significance = row.latest_change_at = None
            for k in kept:
                _set_facts(row, k.record, k.reading.fetched_at, k.headline)
            if not kept:
                row.links = row.record_title = row.record_status = None

    def changed_since(
        self, since: datetime, until: datetime | None = None
    ) -> Iterator[tuple[Watch, list[Version]]]:
        """The trials with a version fetched in (since, until], each with those versions and
        the one before them (what the first change is measured from), oldest first: one
        trial at a time, so that a period of thousands of changed trials holds one trial's
        records at once (docs/benchmarks.md, the office's periodic reading)."""
        with self._session(read_only=True) as session:
            query = select(WatchRow).where(WatchRow.last_changed_at > since)
            for row in list(session.scalars(query.order_by(WatchRow.trial_id))):
                snapshots = self._snapshots(session, row.id, raw=False)
                inside = [
                    i
                    for i, s in enumerate(snapshots)
                    if s.fetched_at > since and (until is None or s.fetched_at <= until)
                ]
                if not inside:
                    continue
                first = max(inside[0] - 1, 0)
                unpacked = self._unpacked(session, snapshots[: inside[-1] + 1], raw=False)
                versions = [
                    _version(snapshots[i], row.trial_id, unpacked[i][0])
                    for i in range(first, inside[-1] + 1)
                ]
                yield to_watch(row), versions
