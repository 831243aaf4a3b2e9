"""The review trail: who looked at each version's changes, when, and their note. Written by
`watcher review` only; a check never changes it, and a re-reading carries it over."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from watcher.store.base import StoreBase
from watcher.store.tables import SnapshotRow, WatchRow


class ReviewsMixin(StoreBase):
    def review(self, trial_ids: Sequence[str], by: str, at: datetime, note: str | None) -> int:
        """Mark the versions with changes that nobody reviewed yet as reviewed; a review is
        never changed afterwards. How many versions were marked."""
        with self._session() as session:
            ids = [self._row(session, tid).id for tid in trial_ids]
            marked = session.connection().execute(
                update(SnapshotRow)
                .where(
                    SnapshotRow.watch_id.in_(ids),
                    SnapshotRow.version > 1,
                    SnapshotRow.reviewed_at.is_(None),
                )
                .values(reviewed_by=by, reviewed_at=at, review_note=note)
            )
            return marked.rowcount

    def unreviewed(self) -> dict[str, int]:
        """How many versions with changes of each trial nobody reviewed yet."""
        with self._session(read_only=True) as session:
            return {
                tid: n
                for tid, n in session.execute(
                    select(WatchRow.trial_id, func.count())
                    .join(SnapshotRow, SnapshotRow.watch_id == WatchRow.id)
                    .where(SnapshotRow.version > 1, SnapshotRow.reviewed_at.is_(None))
                    .group_by(WatchRow.trial_id)
                )
            }

    def unreviewed_before(self, before: datetime) -> list[tuple[str, int, datetime]]:
        """The versions with changes found before ``before`` that nobody reviewed yet:
        (trial, version, found), oldest first."""
        with self._session(read_only=True) as session:
            return [
                (tid, version, found)
                for tid, version, found in session.execute(
                    select(WatchRow.trial_id, SnapshotRow.version, SnapshotRow.fetched_at)
                    .join(SnapshotRow, SnapshotRow.watch_id == WatchRow.id)
                    .where(
                        SnapshotRow.version > 1,
                        SnapshotRow.reviewed_at.is_(None),
                        SnapshotRow.fetched_at < before,
                        WatchRow.active.is_(True),
                    )
                    .order_by(SnapshotRow.fetched_at)
                )
            ]
