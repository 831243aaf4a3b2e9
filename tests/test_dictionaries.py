"""zstd dictionaries trained per register (watcher/store/dictionaries.py): trained once a
register has enough versions stored on their own, used by the versions stored on their own
after it, never by those before, each read back as written; on real, varied ICTRP records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import select

from watcher.config import from_mapping
from watcher.core.hashing import content_hash
from watcher.core.model import Fetched, Record, Watch
from watcher.sources import get as get_source
from watcher.store import codec
from watcher.store.dictionaries import LEAST
from watcher.store.sql import SqlStore
from watcher.store.tables import SnapshotRow

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _real_ictrp_records() -> list[Record]:
    source = get_source("ictrp", from_mapping({}, "test", env={}))
    found: dict[str, Record] = {}
    for path in (
        DATA / "ictrp" / "ictrp-export-2024-06-09-part-a.xml",
        DATA / "ictrp-versions" / "ictrp-covid19-xml-2020-03-18.xml",
        DATA / "ictrp-versions" / "ictrp-covid19-csv" / "2020-04-07.csv",
    ):
        for record in source.parse_file(path.read_bytes(), path.name):
            found.setdefault(record["trial_id"], record)
    return list(found.values())


def _store_first_version(repo: SqlStore, record: Record, at: datetime) -> None:
    tid = record["trial_id"]
    repo.add_watches([Watch(tid, record["registry"], "ictrp")], at)
    payload = orjson.dumps(record)
    fetched = Fetched(tid, "ictrp", payload, "application/json", f"https://example.org/{tid}")
    repo.add_version(
        tid, at=at, fetched=fetched, record=record, content_hash=content_hash(record),
        previous=0, changes=0,
    )  # fmt: skip


def _codecs(repo: SqlStore) -> dict[str, int]:
    with repo._session(read_only=True) as session:
        out: dict[str, int] = {}
        for name in session.scalars(select(SnapshotRow.codec)):
            out[name] = out.get(name, 0) + 1
        return out


def test_a_trained_dictionary_round_trips() -> None:
    samples = [orjson.dumps(r) for r in _real_ictrp_records()]
    trained = codec.train(samples[:-1], 16 * 1024)
    assert trained
    name = codec.trained(3)
    assert codec.dictionary_of(name) == 3 and codec.standalone(name)
    packed = codec.pack(samples[-1], name, dictionary=trained)
    assert codec.unpack(packed, name, dictionary=trained) == samples[-1]
    assert len(packed) < len(codec.pack(samples[-1], codec.FULL))


def test_a_register_gets_its_dictionary_and_old_versions_stay_readable(repo: SqlStore) -> None:
    records = _real_ictrp_records()
    assert len(records) > LEAST + 5
    early, late = records[: LEAST - 1], records[LEAST - 1 :]
    for r in early:
        _store_first_version(repo, r, NOW - timedelta(days=1))
    assert repo.train_dictionaries(NOW, ["ictrp", "ctgov"]) == []  # not yet: LEAST needed
    _store_first_version(repo, late[0], NOW - timedelta(hours=1))
    (number,) = repo.train_dictionaries(NOW, ["ictrp", "ctgov"])
    # Not again until the register has four times as many versions stored on their own.
    assert repo.train_dictionaries(NOW, ["ictrp"]) == []

    for r in late[1:]:
        _store_first_version(repo, r, NOW)
    assert _codecs(repo) == {codec.FULL: LEAST, codec.trained(number): len(late) - 1}
    # Every version reads back as stored, before the dictionary and after it.
    for r in records:
        assert repo.version(r["trial_id"]).record == orjson.loads(orjson.dumps(r))
    with repo._session(read_only=True) as session:
        sizes = {
            name: [len(b) for b in session.scalars(
                select(SnapshotRow.record_packed).where(SnapshotRow.codec == name)
            )]
            for name in (codec.FULL, codec.trained(number))
        }  # fmt: skip
    plain = [len(codec.pack(orjson.dumps(r), codec.FULL)) for r in late[1:]]
    assert sum(sizes[codec.trained(number)]) < 0.8 * sum(plain)
