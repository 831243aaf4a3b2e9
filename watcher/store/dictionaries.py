"""zstd dictionaries trained per register (store.codec): which one a new version is stored
with, reading the one an old version names, and training the next.

A register's first dictionary is trained once it has ``LEAST`` versions stored on their own,
on its newest ``SAMPLES`` of them; the next when it has four times as many as the last was
trained on. Dictionaries are kept for good: a version names the one it was stored with.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watcher.store import codec
from watcher.store.base import StoreBase
from watcher.store.tables import DictionaryRow, SnapshotRow

LEAST = 100  # versions stored on their own before a register's first dictionary
SAMPLES = 500  # the newest of them it is trained on
SIZE = 32 * 1024  # bytes of a dictionary
# How long a process uses the newest dictionary it knows before looking for a newer one
# (another process may have trained it).
FRESH = 600.0


class DictionariesMixin(StoreBase):
    def _dictionary(self, session: Session, number: int) -> tuple[bytes, bytes]:
        """Trained dictionary ``number``: for records, for raw payloads."""
        if number not in self._dictionaries:
            row = session.get(DictionaryRow, number)
            if row is None:
                from watcher.errors import StoreError

                raise StoreError(f"a version names zstd dictionary {number}, which is missing")
            self._dictionaries[number] = (row.record_dict, row.raw_dict)
        return self._dictionaries[number]

    def _dictionaries_for(self, session: Session, name: str) -> tuple[bytes, bytes] | None:
        """The dictionaries a codec names, if it names any."""
        number = codec.dictionary_of(name)
        return None if number is None else self._dictionary(session, number)

    def _newest_dictionary(self, session: Session, source: str) -> int | None:
        """The dictionary a version of ``source`` stored on its own is compressed with now."""
        known = self._newest.get(source)
        if known is not None and time.monotonic() - known[0] < FRESH:
            return known[1]
        number = session.scalar(
            select(func.max(DictionaryRow.id)).where(DictionaryRow.source == source)
        )
        self._newest[source] = (time.monotonic(), number)
        return number

    def train_dictionaries(self, now: datetime, sources: Sequence[str]) -> list[int]:
        """Train the next dictionary of each of ``sources`` that is due one (see the module);
        the numbers of those trained."""
        trained = []
        for source in sources:
            with self._session() as session:
                standalone = SnapshotRow.codec != codec.DELTA
                count = session.scalar(
                    select(func.count())
                    .select_from(SnapshotRow)
                    .where(SnapshotRow.source == source, standalone)
                )
                last = session.scalar(
                    select(func.max(DictionaryRow.trained_on)).where(DictionaryRow.source == source)
                )
                if not count or count < max(LEAST, 4 * (last or 0)):
                    continue
                rows = session.scalars(
                    select(SnapshotRow)
                    .where(SnapshotRow.source == source, standalone)
                    .order_by(SnapshotRow.id.desc())
                    .limit(SAMPLES)
                ).all()
                records, raws = [], []
                for row in rows:
                    words = self._dictionaries_for(session, row.codec) or (None, None)
                    records.append(codec.unpack(row.record_packed, row.codec, None, words[0]))
                    raws.append(codec.unpack(row.raw, row.codec, None, words[1]))
                record_dict = codec.train(records, SIZE) or b""
                raw_dict = codec.train([r for r in raws if r], SIZE) or b""
                if not (record_dict or raw_dict):
                    continue
                new = DictionaryRow(
                    source=source,
                    created_at=now,
                    trained_on=count,
                    record_dict=record_dict,
                    raw_dict=raw_dict,
                )
                session.add(new)
                session.flush()
                trained.append(new.id)
                self._newest[source] = (time.monotonic(), new.id)
        return trained
