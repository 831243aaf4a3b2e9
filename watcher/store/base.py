"""What every part of the SQL store shares: the engine, its transactions, and rows as models.

ORM rows never leave ``watcher.store``: each aggregate's module turns them into
``watcher.core.model`` types with the converters here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, Row, select
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from watcher.core.model import Watch
from watcher.errors import StoreError, UnknownTrial
from watcher.store.db import READ_ONLY, shown
from watcher.store.tables import WatchRow


class StoreBase:
    """The engine and two kinds of transaction: writing, and reading without waiting."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        # The trained dictionaries read so far (they never change), and each register's
        # newest with when it was looked up (store.dictionaries).
        self._dictionaries: dict[int, tuple[bytes, bytes]] = {}
        self._newest: dict[str, tuple[float, int | None]] = {}

    @contextmanager
    def _session(self, *, read_only: bool = False) -> Iterator[Session]:
        """One transaction; ``read_only`` ones never wait for a writer (see store.db)."""
        factory = self._readers if read_only else self._sessions
        try:
            with factory.begin() as session:
                yield session
        except IntegrityError:
            raise  # a conflict the caller resolves (store.versions, store.runs)
        except DatabaseError as e:
            # The driver's own words (a full disk, a corrupt file, a lost server), never the
            # statement and its values, which SQLAlchemy's message would show to the office.
            raise StoreError(f"database {shown(self.engine)}: {e.orig}") from None

    @staticmethod
    def _row(session: Session, trial_id: str) -> WatchRow:
        row = session.scalar(select(WatchRow).where(WatchRow.trial_id == trial_id))
        if row is None:
            raise UnknownTrial(trial_id)
        return row


def fits(value: object, width: int) -> str | None:
    """A register's text shortened to its column's width: PostgreSQL refuses what SQLite
    would take (the record itself keeps the whole value)."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# The columns a ``Watch`` is read from, selected as plain rows (``watch_columns``): ORM objects
# more than doubled the time to read 10,000 watches (docs/benchmarks.md, the web view).
WATCH_FIELDS = (
    "trial_id",
    "registry_name",
    "source",
    "label",
    "tags",
    "active",
    "added_at",
    "last_checked_at",
    "last_changed_at",
    "last_outcome",
    "consecutive_failures",
    "last_error",
    "redirected_to",
    "version_count",
    "last_success_at",
    "failing_since",
    "next_check_at",
    "links",
    "record_title",
    "record_status",
    "check_every",
    "latest_change",
    "latest_change_significance",
    "latest_change_at",
    "flag_facts",
    "fetched_at",
)


def watch_columns() -> list[Any]:
    return [getattr(WatchRow, name) for name in WATCH_FIELDS]


def from_columns(row: Row[*tuple[Any, ...]], unreviewed: int = 0, major: int = 0) -> Watch:
    """The watch a row of ``watch_columns`` says: its values read by position, at C speed
    (a ``Row``'s attributes cost half a microsecond each, 14 ms a thousand watches); columns
    selected after them (an ID) are left out."""
    (
        trial_id, registry, source, label, tags, active, added_at, last_checked_at,
        last_changed_at, last_outcome, failures, last_error, redirected_to, versions,
        last_success_at, failing_since, next_check_at, links, record_title, record_status,
        check_every, latest_change, latest_significance, latest_change_at, flag_facts,
        fetched_at,
    ) = row[: len(WATCH_FIELDS)]  # fmt: skip
    return Watch(
        trial_id=trial_id,
        registry=registry,
        source=source,
        label=label,
        tags=tuple(tags or ()),
        active=active,
        added_at=added_at,
        last_checked_at=last_checked_at,
        last_changed_at=last_changed_at,
        last_outcome=last_outcome,
        consecutive_failures=failures,
        last_error=last_error,
        redirected_to=redirected_to,
        versions=versions,
        last_success_at=last_success_at,
        failing_since=failing_since,
        next_check_at=next_check_at,
        links=tuple(links) if links is not None else None,
        record_title=record_title,
        record_status=record_status,
        every=timedelta(seconds=check_every) if check_every else None,
        latest_change=latest_change,
        latest_change_significance=latest_significance,
        latest_change_at=latest_change_at,
        flag_facts=flag_facts,
        fetched_at=fetched_at,
        unreviewed=unreviewed,
        unreviewed_major=major,
    )


def to_watch(row: WatchRow, unreviewed: int = 0, unreviewed_major: int = 0) -> Watch:
    """The watch a row says, with its unreviewed versions when counted."""
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
        links=tuple(row.links) if row.links is not None else None,
        record_title=row.record_title,
        record_status=row.record_status,
        every=timedelta(seconds=row.check_every) if row.check_every else None,
        latest_change=row.latest_change,
        latest_change_significance=row.latest_change_significance,
        latest_change_at=row.latest_change_at,
        flag_facts=row.flag_facts,
        fetched_at=row.fetched_at,
        unreviewed=unreviewed,
        unreviewed_major=unreviewed_major,
    )
