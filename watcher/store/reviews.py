"""The review trail: who looked at each version's changes, when, and their note. Written by
`watcher review` only; a check never changes it, and a re-reading carries it over."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from watcher.store.base import StoreBase
from watcher.store.tables import SnapshotRow, WatchRow


def needs_review() -> ColumnElement[bool]:
    """The one definition of a version that needs a review: a version after the first, with
    changes that matter (a new starting version after a move of adapter, or a new hash of the
    same record, has none; "Last refreshed on" alone is metadata), that nobody reviewed yet.
    The list, the digest's reminder and `review` use it."""
    return and_(
        SnapshotRow.version > 1,
        SnapshotRow.changes > 0,
        SnapshotRow.reviewed_at.is_(None),
        or_(SnapshotRow.significance.is_(None), SnapshotRow.significance != "metadata"),
    )


class ReviewsMixin(StoreBase):
    def review(
        self,
        trial_ids: Sequence[str],
        by: str,
        at: datetime,
        note: str | None,
        seen: Mapping[str, int] | None = None,
    ) -> int:
        """Mark the versions that need a review as reviewed; a review is never changed
        afterwards. With ``seen`` (trial → the newest version the reviewer was shown), a
        version stored after that stays unreviewed. How many versions were marked."""
        marked = 0
        with self._session() as session:
            for tid in trial_ids:
                row = self._row(session, tid)
                where = [SnapshotRow.watch_id == row.id, needs_review()]
                if seen is not None:
                    where.append(SnapshotRow.version <= seen.get(tid, 0))
                done = session.connection().execute(
                    update(SnapshotRow)
                    .where(*where)
                    .values(reviewed_by=by, reviewed_at=at, review_note=note)
                )
                marked += done.rowcount
            return marked

    def unreviewed(self) -> dict[str, int]:
        """How many versions with changes of each trial nobody reviewed yet."""
        with self._session(read_only=True) as session:
            return {
                tid: n
                for tid, n in session.execute(
                    select(WatchRow.trial_id, func.count())
                    .join(SnapshotRow, SnapshotRow.watch_id == WatchRow.id)
                    .where(needs_review())
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
                        needs_review(),
                        SnapshotRow.fetched_at < before,
                        WatchRow.active.is_(True),
                    )
                    .order_by(SnapshotRow.fetched_at)
                )
            ]
