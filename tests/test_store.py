"""The repository on SQLite and, with the `postgres` marker, on a real PostgreSQL server."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from watcher.core.hashing import content_hash
from watcher.core.headline import Headline
from watcher.core.model import CheckRun, Fetched, Watch, empty_record
from watcher.errors import UnknownTrial
from watcher.sources.ctgov_study import normalize_study
from watcher.store import Unchanged, VersionConflict, codec
from watcher.store.sql import SqlStore
from watcher.store.tables import SnapshotRow

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _fetched(payload: bytes = b'{"x": 1}') -> Fetched:
    return Fetched(
        "NCT01234567",
        "ctgov",
        payload,
        "application/json",
        "https://clinicaltrials.gov/study/NCT01234567",
    )


def _add(repo: SqlStore, *ids: str) -> None:
    repo.add_watches([Watch(t, "ctgov", "ctgov") for t in ids], T0)


def _store(
    repo: SqlStore, n: int, previous: int, status: str = "RECRUITING", payload: bytes | None = None
) -> int:
    record = empty_record("NCT01234567", "ctgov", "ctgov") | {"recruitment_status": status}
    return repo.add_version(
        "NCT01234567",
        at=T0 + timedelta(days=n),
        fetched=_fetched() if payload is None else _fetched(payload),
        record=record,
        content_hash=content_hash(record),
        previous=previous,
        changes=0 if previous == 0 else 1,
    )


def test_add_list_and_remove_keep_history(repo: SqlStore) -> None:
    repo.add_watches([Watch("NCT01234567", "ctgov", "ctgov", "ACCIO", ("lung", "nci"))], T0)
    _store(repo, 0, 0)
    [watch] = repo.watches()
    assert (watch.trial_id, watch.label, watch.tags, watch.status) == (
        "NCT01234567",
        "ACCIO",
        ("lung", "nci"),
        "ok",
    )
    assert watch.added_at == T0
    assert repo.watches(tag="lung") == [watch] and repo.watches(tag="other") == []
    repo.remove(["NCT01234567"], T0)
    assert repo.watches() == []
    assert len(repo.history("NCT01234567")) == 1
    assert repo.add_watches([Watch("NCT01234567", "ctgov", "ctgov")], T0) == ["NCT01234567"]
    assert repo.watch("NCT01234567").label == "ACCIO"


def test_remove_of_an_unknown_id_changes_nothing(repo: SqlStore) -> None:
    _add(repo, "NCT01234567")
    with pytest.raises(UnknownTrial, match="NCT09999999: not watched"):
        repo.remove(["NCT01234567", "NCT09999999"], T0)
    assert [w.trial_id for w in repo.watches()] == ["NCT01234567"]


def test_versions_are_numbered_and_times_come_back_utc(repo: SqlStore) -> None:
    _add(repo, "NCT01234567")
    assert _store(repo, 0, 0) == 1
    assert _store(repo, 1, 1, "COMPLETED") == 2
    history = repo.history("NCT01234567")
    assert [v.version for v in history] == [1, 2]
    assert history[1].fetched_at == T0 + timedelta(days=1)
    assert history[1].fetched_at.tzinfo is not None
    assert repo.version("NCT01234567").record["recruitment_status"] == "COMPLETED"
    assert repo.latest_hashes(["NCT01234567", "NCT00000000"]) == {
        # No payload hash and no parser given by this test; fetched by ctgov.
        "NCT01234567": (2, history[1].content_hash, None, None, "ctgov")
    }
    with pytest.raises(UnknownTrial, match=r"no version 3 \(versions 1 to 2\)"):
        repo.version("NCT01234567", 3)


def test_the_raw_payload_is_kept_compressed(repo: SqlStore) -> None:
    _add(repo, "NCT01234567")
    payload = b'{"protocolSection": ' + b'"x" ' * 5000 + b"}"
    record = empty_record("NCT01234567", "ctgov", "ctgov")
    repo.add_version(
        "NCT01234567",
        at=T0,
        fetched=_fetched(payload),
        record=record,
        content_hash=content_hash(record),
        previous=0,
        changes=0,
    )
    assert repo.raw_payload("NCT01234567", 1) == (payload, "application/json")
    with repo._sessions() as session:
        stored = session.scalar(select(SnapshotRow.raw))
    assert stored is not None and len(stored) < len(payload) / 10


REAL = Path(__file__).parent / "data" / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json"


def test_a_payload_too_short_to_be_a_dictionary_is_stored_on_its_own(repo: SqlStore) -> None:
    """An answer of a few bytes (``{}``) cannot serve as the zstd dictionary of the next
    version's payload: the next version is stored whole, and every check after it works."""
    _add(repo, "NCT01234567")
    for n, payload in enumerate([b"{}", b'{"x": 1}', b'{"x": 2}']):
        _store(repo, n, n, status=f"S{n}", payload=payload)
    assert [repo.raw_payload("NCT01234567", n)[0] for n in (1, 2, 3)] == [
        b"{}",
        b'{"x": 1}',
        b'{"x": 2}',
    ]
    assert repo.version("NCT01234567").record["recruitment_status"] == "S2"


def test_a_version_is_stored_against_the_one_before_and_reads_back_exactly(
    repo: SqlStore,
) -> None:
    """A real record changed in one field costs tens of bytes; every version, across more
    than one keyframe, reads back byte for byte."""
    _add(repo, "NCT01234567")
    study = orjson.loads(REAL.read_bytes())
    payloads = []
    for n in range(codec.KEYFRAME_EVERY + 3):
        study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 100 + n
        payload = orjson.dumps(study)
        payloads.append(payload)
        record = normalize_study(study, "NCT01234567")
        repo.add_version(
            "NCT01234567",
            at=T0 + timedelta(days=n),
            fetched=_fetched(payload),
            record=record,
            content_hash=content_hash(record),
            previous=n,
            changes=1,
        )
    with repo._sessions() as session:
        rows = session.scalars(select(SnapshotRow).order_by(SnapshotRow.version)).all()
        sizes = [(r.codec, len(r.record_packed) + len(r.raw)) for r in rows]
    assert [c for c, _ in sizes] == (
        [codec.FULL]
        + [codec.DELTA] * (codec.KEYFRAME_EVERY - 1)
        + [codec.FULL, codec.DELTA, codec.DELTA]
    )
    assert sizes[0][1] > 40_000 and all(size < 500 for c, size in sizes if c == codec.DELTA)
    history = repo.history("NCT01234567")
    assert [v.record["target_sample_size"] for v in history] == [100 + n for n in range(19)]
    for n in (1, codec.KEYFRAME_EVERY, codec.KEYFRAME_EVERY + 1, codec.KEYFRAME_EVERY + 3):
        assert repo.raw_payload("NCT01234567", n)[0] == payloads[n - 1]
        assert repo.version("NCT01234567", n).record == history[n - 1].record


def test_unchanged_checks_written_together_keep_the_run_length_log(repo: SqlStore) -> None:
    _add(repo, "NCT01234567", "NCT07654321")
    _store(repo, 0, 0)
    repo.record_failure("NCT07654321", T0, "HTTP 503")
    for day in (1, 2, 3):
        repo.record_unchanged_many(
            [
                Unchanged("NCT01234567", T0 + timedelta(days=day), payload_hash="p1"),
                Unchanged("NCT07654321", T0 + timedelta(days=day), redirected_to="NCT07654322"),
            ]
        )
    assert [(e.outcome, e.count) for e in repo.check_log("NCT01234567")] == [
        ("baseline", 1),
        ("unchanged", 3),
    ]
    [failed, unchanged] = repo.check_log("NCT07654321")
    assert (failed.outcome, unchanged.outcome, unchanged.count) == ("failed", "unchanged", 3)
    assert unchanged.last_at == T0 + timedelta(days=3)
    recovered = repo.watch("NCT07654321")
    assert (recovered.consecutive_failures, recovered.failing_since) == (0, None)
    assert recovered.redirected_to == "NCT07654322"
    assert repo.latest_hashes(["NCT01234567"])["NCT01234567"].payload_hash == "p1"
    with pytest.raises(UnknownTrial, match="NCT09999999"):
        repo.record_unchanged_many([Unchanged("NCT09999999", T0)])


def test_a_version_stored_meanwhile_is_a_conflict_not_a_double(repo: SqlStore) -> None:
    _add(repo, "NCT01234567")
    _store(repo, 0, 0)
    with pytest.raises(VersionConflict):
        _store(repo, 1, 0)
    assert len(repo.history("NCT01234567")) == 1


def test_the_check_log_is_run_length_encoded(repo: SqlStore) -> None:
    _add(repo, "NCT01234567")
    _store(repo, 0, 0)
    for day in range(1, 31):
        repo.record_unchanged("NCT01234567", T0 + timedelta(days=day))
    for day in range(31, 34):
        repo.record_failure("NCT01234567", T0 + timedelta(days=day), "HTTP 503")
    repo.record_unchanged("NCT01234567", T0 + timedelta(days=34))
    log = repo.check_log("NCT01234567")
    assert [(e.outcome, e.count) for e in log] == [
        ("baseline", 1),
        ("unchanged", 30),
        ("failed", 3),
        ("unchanged", 1),
    ]
    assert (log[1].first_at, log[1].last_at) == (T0 + timedelta(days=1), T0 + timedelta(days=30))
    assert log[2].error == "HTTP 503"
    assert repo.count_rows()["check_log"] == 4
    assert repo.count_rows()["snapshot"] == 1


def test_failures_count_up_and_a_success_resets(repo: SqlStore) -> None:
    _add(repo, "NCT01234567")
    assert repo.record_failure("NCT01234567", T0, "timed out") == 1
    assert repo.record_failure("NCT01234567", T0, "timed out") == 2
    watch = repo.watch("NCT01234567")
    assert (watch.status, watch.consecutive_failures, watch.last_error) == (
        "failing",
        2,
        "timed out",
    )
    _store(repo, 1, 0)
    watch = repo.watch("NCT01234567")
    assert (watch.status, watch.consecutive_failures, watch.last_error) == ("ok", 0, None)


def test_a_check_run_is_read_back_as_it_was_recorded(repo: SqlStore) -> None:
    run = CheckRun("cli", T0, T0 + timedelta(seconds=5), 3, 2, 1)  # each count its own
    repo.record_run(run)
    assert repo.count_rows()["check_run"] == 1
    assert repo.last_run("cli") == run
    assert repo.last_run("daemon") is None  # the CLI's run is not the daemon's cycle
    # A run belongs to the period it finished in.
    assert repo.runs_between(T0, T0 + timedelta(seconds=5)) == [run]
    assert repo.runs_between(T0 + timedelta(seconds=5), T0 + timedelta(hours=1)) == []


def test_the_last_cycle_and_the_cycles_of_a_period_are_read_back(repo: SqlStore) -> None:
    """`status` reads the last daemon cycle, the digest the cycles of its week; the record is
    kept 35 days, so that a cycle a minute never grows without bound."""
    day = timedelta(days=1)
    for n in range(40):
        at = T0 + n * day
        repo.record_run(CheckRun("daemon", at, at + timedelta(seconds=9), 10, n % 2, 0))
    repo.record_run(CheckRun("cli", T0 + 40 * day, T0 + 40 * day, 1, 1, 1))
    last = repo.last_run("daemon")
    assert last == CheckRun("daemon", T0 + 39 * day, T0 + 39 * day + timedelta(seconds=9), 10, 1, 0)
    week = repo.runs_between(T0 + 33 * day, T0 + 40 * day)
    assert [r.started_at for r in week] == [T0 + n * day for n in range(33, 40)] + [T0 + 40 * day]
    assert repo.count_rows()["check_run"] == 36  # days 5 to 39, and the `watcher check`


def test_unicode_and_large_records_round_trip(repo: SqlStore) -> None:
    _add(repo, "NCT01234567")
    record = empty_record("NCT01234567", "ctgov", "ctgov") | {
        "public_title": "Étude «Ω» 試験 — \u2028",
        "conditions": ["x" * 200_000],
    }
    repo.add_version(
        "NCT01234567",
        at=T0,
        fetched=_fetched(),
        record=record,
        content_hash=content_hash(record),
        previous=0,
        changes=0,
    )
    assert repo.version("NCT01234567").record == record


def test_reading_history_again_keeps_the_review_trail(repo: SqlStore) -> None:
    """A re-reading stores the versions anew (compressed against each other): each keeps its
    review, and the review trail survives a version dropped as the old parser's reading."""
    from watcher.core.fields import DiffRules
    from watcher.core.model import Record
    from watcher.reread import reread

    _add(repo, "NCT01234567")
    for n, status in enumerate(["RECRUITING", "RECRUITING ", "COMPLETED"]):
        _store(repo, n, n, status)  # version 2 differs from 1 by a trailing space only
    repo.review(["NCT01234567"], "A. Moreau", T0 + timedelta(days=9), "seen")

    class Folding:
        """A parser that reads the stored record back, whitespace folded: the trailing
        space that made version 2 was only the old parser's."""

        name, parser_version = "ctgov", 99

        def normalize(self, fetched: Fetched) -> Record:
            record: Record = orjson.loads(fetched.payload)
            record["recruitment_status"] = record["recruitment_status"].strip()
            return record

    history = repo.history("NCT01234567")
    raw = {v.version: orjson.dumps(v.record) for v in history}
    # Give each version its own record as raw payload, as an adapter would have kept.
    readings = repo.readings("NCT01234567")
    assert [r.version for r in readings] == [1, 2, 3]
    original = repo.readings

    def with_records(trial_id: str) -> list[Any]:
        return [dataclasses.replace(r, raw=raw[r.version]) for r in original(trial_id)]

    repo.readings = with_records  # type: ignore[method-assign]
    done = reread(repo, lambda _name: Folding(), "NCT01234567", DiffRules())  # type: ignore[arg-type,return-value]
    assert (done.reread, done.dropped) == ((1, 2, 3), (2,))
    kept = repo.history("NCT01234567")
    assert [(v.version, v.record["recruitment_status"]) for v in kept] == [
        (1, "RECRUITING"),
        (2, "COMPLETED"),
    ]
    assert [(v.reviewed_by, v.review_note) for v in kept] == [(None, None), ("A. Moreau", "seen")]


def test_the_triage_counts_what_waits_for_a_review(repo: SqlStore) -> None:
    repo.add_watches([Watch(f"NCT0000010{n}", "ctgov", "ctgov") for n in range(3)], T0)
    _add(repo, "NCT01234567")
    said = [None, Headline("major", "Status: a → b"), Headline("metadata", "Last refreshed")]
    for n, status in enumerate(["RECRUITING", "COMPLETED", "COMPLETED "]):
        record = empty_record("NCT01234567", "ctgov", "ctgov") | {"recruitment_status": status}
        repo.add_version(
            "NCT01234567",
            at=T0 + timedelta(days=n),
            fetched=_fetched(),
            record=record,
            content_hash=content_hash(record),
            previous=n,
            changes=0 if n == 0 else 1,
            headline=said[n],
        )
    repo.add_watches([Watch("ISRCTN12345678", "isrctn", "isrctn")], T0)

    found = {w.trial_id: w for w in repo.triage()}
    assert len(found) == 5
    changed = found["NCT01234567"]
    # The metadata-only version asks for no review, and is not the latest change told.
    assert (changed.unreviewed, changed.unreviewed_major) == (1, 1)
    assert (changed.latest_change, changed.latest_change_at) == (
        "Status: a → b",
        T0 + timedelta(days=1),
    )
    assert changed.flag_facts and changed.flag_facts["recruitment_status"] == "COMPLETED "
    assert [w.trial_id for w in repo.triage("isrctn")] == ["ISRCTN12345678"]

    repo.review(["NCT01234567"], "A. Moreau", T0 + timedelta(days=9), None)
    repo.remove(["NCT00000100"], T0)
    found = {w.trial_id: w for w in repo.triage()}
    assert "NCT00000100" not in found
    assert (found["NCT01234567"].unreviewed, found["NCT01234567"].unreviewed_major) == (0, 0)
    # The metadata-only version was never one to review, and stays so.
    assert [v.reviewed_by for v in repo.history("NCT01234567")] == [None, "A. Moreau", None]
