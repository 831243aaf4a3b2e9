"""The watch list: which trials are watched, from which source, with which label and tags."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import String, case, cast, func, or_, select

from watcher.core.model import Watch
from watcher.store.base import StoreBase, from_columns, to_watch, watch_columns
from watcher.store.protocol import HealthFacts
from watcher.store.reviews import needs_review
from watcher.store.tables import OutboxRow, SnapshotRow, WatchRow


def _seconds(every: timedelta | None) -> int | None:
    return int(every.total_seconds()) if every is not None else None


class WatchesMixin(StoreBase):
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
                            check_every=_seconds(new.every),
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
                if new.every is not None:
                    row.check_every = _seconds(new.every)
        return added

    def remove(self, trial_ids: Iterable[str], now: datetime) -> None:
        """Stop watching; versions and the check log are kept. All or nothing: an ID never
        watched raises ``UnknownTrial`` and changes nothing."""
        with self._session() as session:
            rows = [self._row(session, tid) for tid in trial_ids]
            for row in rows:
                if row.active:
                    row.active, row.removed_at = False, now

    def watches(self, *, tag: str | None = None, include_removed: bool = False) -> list[Watch]:
        """The watched trials (and the removed ones too, if asked), by trial ID."""
        with self._session(read_only=True) as session:
            query = select(*watch_columns()).order_by(WatchRow.trial_id)
            if not include_removed:
                query = query.where(WatchRow.active.is_(True))
            out = [from_columns(row) for row in session.execute(query)]
        return [w for w in out if tag is None or tag in w.tags]

    def watch_pages(self, size: int) -> Iterator[list[Watch]]:
        """The watched trials, by trial ID, ``size`` at a time, each page read on its own:
        a run over a whole register holds one page of watches, not the list."""
        after = ""
        while True:
            with self._session(read_only=True) as session:
                query = (
                    select(*watch_columns())
                    .where(WatchRow.active.is_(True), WatchRow.trial_id > after)
                    .order_by(WatchRow.trial_id)
                    .limit(size)
                )
                page = [from_columns(row) for row in session.execute(query)]
            if not page:
                return
            yield page
            after = page[-1].trial_id

    def watched_by_source(self) -> dict[str, int]:
        """How many trials each source serves."""
        with self._session(read_only=True) as session:
            query = (
                select(WatchRow.source, func.count())
                .where(WatchRow.active.is_(True))
                .group_by(WatchRow.source)
            )
            return {source: n for source, n in session.execute(query)}

    def watch(self, trial_id: str) -> Watch:
        """One watched (or removed) trial; ``UnknownTrial`` if it never was."""
        with self._session(read_only=True) as session:
            return to_watch(self._row(session, trial_id))

    def watched_links(self) -> dict[str, tuple[str, ...] | None]:
        """What each watched trial's latest record names, in one narrow query: finding a
        trial's other registrations must not load every watch."""
        with self._session(read_only=True) as session:
            query = select(WatchRow.trial_id, WatchRow.links).where(WatchRow.active.is_(True))
            return {
                tid: tuple(links) if links is not None else None
                for tid, links in session.execute(query)
            }

    def watches_naming(self, keys: Collection[str]) -> dict[str, tuple[str, ...] | None]:
        """What each watched trial that may be linked to ``keys`` names: those whose record
        names one of them, those that are one, and an EUCTR trial's member states. A text
        search of the links, so that one trial's page does not read every watch."""
        links = cast(WatchRow.links, String)
        wanted = []
        for key in keys:
            plain = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            wanted += [
                links.like(f'%"{plain}"%', escape="\\"),
                WatchRow.trial_id == key,
                WatchRow.trial_id.like(f"{plain}-%", escape="\\"),
            ]
        if not wanted:
            return {}
        with self._session(read_only=True) as session:
            query = select(WatchRow.trial_id, WatchRow.links).where(
                WatchRow.active.is_(True), or_(*wanted)
            )
            return {
                tid: tuple(named) if named is not None else None
                for tid, named in session.execute(query)
            }

    def triage(self, source: str | None = None) -> list[Watch]:
        """Every watched trial (member-state records too), from one source when given, with
        its unreviewed versions and those of them with a major change counted: what the list
        triages (``watcher.triage``). Two statements; the counts are read through the index
        of the versions not reviewed."""
        with self._session(read_only=True) as session:
            major = func.count(case((SnapshotRow.significance == "major", 1)))
            counts = {
                watch_id: (n, m)
                for watch_id, n, m in session.execute(
                    select(SnapshotRow.watch_id, func.count(), major)
                    .where(needs_review())
                    .group_by(SnapshotRow.watch_id)
                )
            }
            query = select(*watch_columns(), WatchRow.id).where(WatchRow.active.is_(True))
            if source is not None:
                query = query.where(WatchRow.source == source)
            return [
                from_columns(row, *counts.get(row.id, (0, 0)))
                for row in session.execute(query.order_by(WatchRow.trial_id))
            ]

    def family(self, trial_id: str) -> list[Watch]:
        """The member-state records watched (or once watched) for a whole EUCTR trial, in
        order, read through the trial_id index (never the whole watch list)."""
        with self._session(read_only=True) as session:
            query = (
                select(WatchRow)
                .where(WatchRow.trial_id > f"{trial_id}-", WatchRow.trial_id < f"{trial_id}.")
                .order_by(WatchRow.trial_id)
            )
            return [to_watch(row) for row in session.scalars(query)]

    # -- what `status` reads: aggregates, and the few trials in trouble -------------------------

    def health_facts(self, now: datetime) -> HealthFacts:
        """The counts `status` and ``/healthz`` report, from aggregate queries."""
        active = WatchRow.active.is_(True)
        due = case(((WatchRow.next_check_at.is_(None)) | (WatchRow.next_check_at <= now), 1))
        with self._session(read_only=True) as session:
            watched, due_now, shortest = session.execute(
                select(func.count(), func.count(due), func.min(WatchRow.check_every)).where(active)
            ).one()
            fetched = {
                source: (oldest, never)
                for source, oldest, never in session.execute(
                    select(
                        WatchRow.source,
                        func.min(WatchRow.fetched_at),
                        func.count() - func.count(WatchRow.fetched_at),
                    )
                    .where(active)
                    .group_by(WatchRow.source)
                )
            }
            queued = session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "queued")
            )
        return HealthFacts(
            watched,
            due_now,
            timedelta(seconds=shortest) if shortest else None,
            fetched,
            queued or 0,
        )

    def troubled(self, failures: int, no_success_since: datetime) -> list[Watch]:
        """The watched trials that may be failing (``failures`` or more failed checks in a
        row) or stale (no success since ``no_success_since``): the caller decides each."""
        last_good = func.coalesce(WatchRow.last_success_at, WatchRow.added_at)
        with self._session(read_only=True) as session:
            query = (
                select(*watch_columns())
                .where(WatchRow.active.is_(True))
                .where((WatchRow.consecutive_failures >= failures) | (last_good < no_success_since))
                .order_by(WatchRow.trial_id)
            )
            return [from_columns(row) for row in session.execute(query)]
