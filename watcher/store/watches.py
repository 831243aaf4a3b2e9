"""The watch list: which trials are watched, from which source, with which label and tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import aliased

from watcher.core.model import Watch
from watcher.store.base import StoreBase, to_watch
from watcher.store.reviews import needs_review
from watcher.store.tables import SnapshotRow, WatchRow


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
            query = select(WatchRow).order_by(WatchRow.trial_id)
            if not include_removed:
                query = query.where(WatchRow.active.is_(True))
            out = [to_watch(row) for row in session.scalars(query)]
        return [w for w in out if tag is None or tag in w.tags]

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

    def watches_page(
        self, offset: int, limit: int, *, tag: str | None = None, source: str | None = None
    ) -> tuple[list[Watch], int]:
        """A page of the watched trials, the last changed first, with their unreviewed
        versions counted, and how many there are: one query for the page, one for the count
        (a tag is matched in the rows read: tags are a JSON list).

        A whole EUCTR trial is one row: its member-state records are left out, and the row
        carries their last change and their unreviewed versions (``family``)."""
        member = aliased(WatchRow)
        whole = and_(WatchRow.trial_id.like("EUCTR%"), func.length(WatchRow.trial_id) == 19)
        # Its member states sort right after it ("-" then "."): the trial_id index finds them.
        in_family = and_(
            member.trial_id > WatchRow.trial_id.concat("-"),
            member.trial_id < WatchRow.trial_id.concat("."),
            member.active.is_(True),
        )
        own_unreviewed = (
            select(func.count())
            .where(SnapshotRow.watch_id == WatchRow.id, needs_review())
            .correlate(WatchRow)
            .scalar_subquery()
        )
        family_unreviewed = (
            select(func.count())
            .select_from(SnapshotRow)
            .join(member, member.id == SnapshotRow.watch_id)
            .where(in_family, needs_review())
            .correlate(WatchRow)
            .scalar_subquery()
        )
        family_changed = (
            select(func.max(member.last_changed_at))
            .where(in_family)
            .correlate(WatchRow)
            .scalar_subquery()
        )
        unreviewed = case((whole, family_unreviewed), else_=own_unreviewed)
        changed = case(
            (whole, func.coalesce(family_changed, WatchRow.last_changed_at)),
            else_=WatchRow.last_changed_at,
        )
        parent = aliased(WatchRow)
        a_member_shown_by_its_trial = and_(
            WatchRow.trial_id.like("EUCTR%"),
            func.length(WatchRow.trial_id) > 19,
            select(parent.id)
            .where(
                parent.trial_id == func.substr(WatchRow.trial_id, 1, 19),
                parent.active.is_(True),
            )
            .correlate(WatchRow)
            .exists(),
        )
        where: list[ColumnElement[bool]] = [
            WatchRow.active.is_(True),
            ~a_member_shown_by_its_trial,
        ]
        if source is not None:
            where.append(WatchRow.source == source)
        order = (changed.is_(None), changed.desc(), WatchRow.trial_id)
        query = select(WatchRow, unreviewed, changed).where(*where).order_by(*order)
        with self._session(read_only=True) as session:
            if tag is None:
                total = session.scalar(select(func.count()).select_from(WatchRow).where(*where))
                rows = list(session.execute(query.offset(offset).limit(limit)))
            else:
                # The tag is matched on the rows alone; the counts are read for the page.
                tagged = select(WatchRow.id, WatchRow.tags).where(*where).order_by(*order)
                ids = [i for i, tags in session.execute(tagged) if tag in (tags or ())]
                total = len(ids)
                wanted = ids[offset : offset + limit]
                rows = list(session.execute(query.where(WatchRow.id.in_(wanted))))
            return [
                replace(to_watch(r), unreviewed=n, last_changed_at=at) for r, n, at in rows
            ], total or 0

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
