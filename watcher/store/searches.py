"""Saved searches: each search, and each stay of a trial in its results (see
``watcher.core.searches``). A run writes only what changed: the trials that entered, the
stays that ended, and the search's own row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from watcher.core.searches import Left, Match, Membership, SavedSearch
from watcher.errors import UnknownSearch
from watcher.store.base import StoreBase, fits
from watcher.store.tables import SearchMatchRow, SearchRow


def _search(row: SearchRow) -> SavedSearch:
    return SavedSearch(
        row.name,
        row.source,
        row.query,
        row.watch,
        tuple(row.tags or ()),
        row.every,
        row.created_at,
        row.last_run_at,
        row.next_run_at,
        row.last_error,
        row.matches,
        row.total,
        row.capped,
        row.unfollowed_at,
    )


def _match(row: SearchMatchRow) -> Match:
    return Match(
        row.trial_id,
        row.title,
        row.status,
        date.fromisoformat(row.registered) if row.registered else None,
        row.sponsor,
    )


class SearchesMixin(StoreBase):
    @staticmethod
    def _search_row(session: Session, name: str, *, followed: bool = True) -> SearchRow:
        row = session.scalar(select(SearchRow).where(SearchRow.name == name))
        if row is None or (followed and row.unfollowed_at is not None):
            raise UnknownSearch(name)
        return row

    def add_search(self, search: SavedSearch) -> None:
        """Save a new search; a name in use is an ``InputError`` naming it (an unfollowed
        search keeps its name, with its history)."""
        from watcher.errors import InputError

        with self._session() as session:
            old = session.scalar(select(SearchRow).where(SearchRow.name == search.name))
            if old is not None:
                why = "is followed" if old.unfollowed_at is None else "was followed before"
                raise InputError(
                    search.name,
                    f"a search of this name {why}; its history is kept: choose another name",
                )
            session.add(
                SearchRow(
                    name=search.name,
                    source=search.source,
                    query=search.query,
                    watch=search.watch,
                    tags=list(search.tags),
                    every=search.every,
                    created_at=search.created_at,
                    next_run_at=search.next_run_at,
                    matches=0,
                    capped=False,
                )
            )

    def searches(self, *, include_unfollowed: bool = False) -> list[SavedSearch]:
        with self._session(read_only=True) as session:
            query = select(SearchRow).order_by(SearchRow.name)
            if not include_unfollowed:
                query = query.where(SearchRow.unfollowed_at.is_(None))
            return [_search(row) for row in session.scalars(query)]

    def search(self, name: str, *, followed: bool = False) -> SavedSearch:
        """The search of this name (an unfollowed one too, unless ``followed``)."""
        with self._session(read_only=True) as session:
            return _search(self._search_row(session, name, followed=followed))

    def claim_searches(
        self, now: datetime, lease_until: datetime, *, every: bool = False
    ) -> list[SavedSearch]:
        """Take the followed searches due at ``now`` (``every``: all of them) for this run:
        their next run moves to ``lease_until``, so that another daemon sharing the database
        does not run them too (PostgreSQL skips rows another is claiming, as with trials)."""
        with self._session() as session:
            query = select(SearchRow).where(SearchRow.unfollowed_at.is_(None))
            if not every:
                query = query.where(
                    (SearchRow.next_run_at.is_(None)) | (SearchRow.next_run_at <= now)
                )
            rows = session.scalars(
                query.order_by(SearchRow.id).with_for_update(skip_locked=True)
            ).all()
            out = [_search(row) for row in rows]
            for row in rows:
                row.next_run_at = lease_until
            return out

    def current_matches(self, name: str) -> dict[str, Match]:
        """The trials the search matched at its last run, as summarised when they entered."""
        with self._session(read_only=True) as session:
            search = self._search_row(session, name, followed=False)
            return {
                row.trial_id: _match(row)
                for row in session.scalars(
                    select(SearchMatchRow).where(
                        SearchMatchRow.search_id == search.id, SearchMatchRow.left_at.is_(None)
                    )
                )
            }

    def record_search_run(
        self,
        name: str,
        at: datetime,
        entered: Sequence[Match],
        left: Sequence[Left],
        *,
        matches: int,
        total: int | None,
        capped: bool,
        next_run_at: datetime,
    ) -> None:
        """One run's result, in one transaction."""
        with self._session() as session:
            search = self._search_row(session, name, followed=False)
            # A run of the same search elsewhere meanwhile (`watcher check` beside a daemon)
            # may have told these already: a trial stays in a search once.
            open_now = set(
                session.scalars(
                    select(SearchMatchRow.trial_id).where(
                        SearchMatchRow.search_id == search.id, SearchMatchRow.left_at.is_(None)
                    )
                )
            )
            for m in entered:
                if m.trial_id in open_now:
                    continue
                session.add(
                    SearchMatchRow(
                        search_id=search.id,
                        trial_id=m.trial_id,
                        entered_at=at,
                        title=m.title,
                        status=fits(m.status, 10_000),
                        sponsor=m.sponsor,
                        registered=m.registered.isoformat() if m.registered else None,
                    )
                )
            gone = {left_.match.trial_id: left_ for left_ in left}
            if gone:
                for row in session.scalars(
                    select(SearchMatchRow).where(
                        SearchMatchRow.search_id == search.id,
                        SearchMatchRow.left_at.is_(None),
                        SearchMatchRow.trial_id.in_(list(gone)),
                    )
                ):
                    leaving = gone[row.trial_id]
                    row.left_at, row.why_left = at, leaving.why
                    # What was not known when it entered (a register answering IDs only).
                    row.title = row.title or leaving.match.title
                    row.status = row.status or fits(leaving.match.status, 10_000)
                    row.sponsor = row.sponsor or leaving.match.sponsor
            search.last_run_at, search.next_run_at, search.last_error = at, next_run_at, None
            search.matches, search.total, search.capped = matches, total, capped

    def search_failed(self, name: str, at: datetime, error: str, next_run_at: datetime) -> None:
        """A run that could not read the search: its matches stay as they were."""
        with self._session() as session:
            search = self._search_row(session, name, followed=False)
            search.last_error, search.next_run_at = error, next_run_at

    def unfollow(self, name: str, at: datetime) -> None:
        with self._session() as session:
            self._search_row(session, name).unfollowed_at = at

    def memberships(self, name: str, since: datetime | None = None) -> list[Membership]:
        """Every stay of a trial in the search's results (those that began or ended after
        ``since``, when given), oldest first."""
        with self._session(read_only=True) as session:
            search = self._search_row(session, name, followed=False)
            query = select(SearchMatchRow).where(SearchMatchRow.search_id == search.id)
            if since is not None:
                query = query.where(
                    (SearchMatchRow.entered_at > since) | (SearchMatchRow.left_at > since)
                )
            return [
                Membership(_match(row), row.entered_at, row.left_at, row.why_left)
                for row in session.scalars(query.order_by(SearchMatchRow.id))
            ]
