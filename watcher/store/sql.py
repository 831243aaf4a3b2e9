"""``SqlStore``: the ``Store`` protocol on SQLAlchemy, one mixin per aggregate (as reader's
``Storage`` is put together), on SQLite or PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from watcher.store.checks import CheckLogMixin
from watcher.store.db import ensure_schema, make_engine
from watcher.store.outbox import OutboxMixin
from watcher.store.reviews import ReviewsMixin
from watcher.store.runs import RunsMixin
from watcher.store.searches import SearchesMixin
from watcher.store.tables import CheckLogRow, CheckRunRow, OutboxRow, SnapshotRow, WatchRow
from watcher.store.versions import VersionsMixin
from watcher.store.watches import WatchesMixin


class SqlStore(
    WatchesMixin,
    VersionsMixin,
    ReviewsMixin,
    CheckLogMixin,
    RunsMixin,
    OutboxMixin,
    SearchesMixin,
):
    """The database behind the application (see ``store.protocol.Store``)."""

    def count_rows(self) -> dict[str, int]:
        """Rows per table: for tests and benchmarks."""
        with self._session(read_only=True) as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (WatchRow, SnapshotRow, CheckLogRow, CheckRunRow, OutboxRow)
            }

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> SqlStore:
    """A store on ``url``, its schema brought up to date first (a new SQLite file is
    created), as reader does: operators never run migrations by hand."""
    engine = make_engine(url)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()  # a database refused is let go at once, its connections closed
        raise
    return SqlStore(engine)
