"""`status` and ``/healthz`` count in the database: the same failing and stale trials as
judging every watch one by one, without reading the watch list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from watcher.config import from_mapping
from watcher.core.model import Watch
from watcher.health import status
from watcher.store import Unchanged
from watcher.store.sql import SqlStore

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_status_finds_the_failing_and_stale_trials_without_the_watch_list(
    repo: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = from_mapping(
        {
            "schedule": {"check_interval": "24h", "tags": {"urgent": "1h"}},
            "sources": {"ctgov": {"full_sweep": "7d"}},
        },
        "test settings",
        env={},
    )
    day = timedelta(days=1)
    watches = [
        Watch("NCT00000001", "ctgov", "ctgov"),  # checked an hour ago
        Watch("NCT00000002", "ctgov", "ctgov"),  # last success three days ago: stale
        Watch("NCT00000003", "ctgov", "ctgov", tags=("urgent",)),  # 3 h ago, 1 h interval
        Watch("NCT00000004", "ctgov", "ctgov", every=timedelta(hours=2)),  # 5 h ago: stale
        Watch("NCT00000005", "ctgov", "ctgov"),  # failing three times since an hour ago
        Watch("NCT00000006", "ctgov", "ctgov"),  # never checked, added today
    ]
    repo.add_watches(watches, NOW - 4 * day)
    repo.add_watches([Watch("NCT00000007", "ctgov", "ctgov")], NOW - timedelta(hours=1))
    for tid, ago in (
        ("NCT00000001", timedelta(hours=1)),
        ("NCT00000002", 3 * day),
        ("NCT00000003", timedelta(hours=3)),
        ("NCT00000004", timedelta(hours=5)),
        ("NCT00000005", timedelta(hours=2)),
    ):
        repo.record_unchanged_many([Unchanged(tid, NOW - ago)])
    for _ in range(3):
        repo.record_failure("NCT00000005", NOW - timedelta(hours=1), "HTTP 500")
    repo.remove(["NCT00000006"], NOW)

    everything = repo.watches()
    expected_failing = [w.trial_id for w in everything if settings.schedule.failing(w)]
    expected_stale = [w.trial_id for w in everything if settings.schedule.stale(w, NOW)]

    def refused(*_a: Any, **_k: Any) -> None:
        raise AssertionError("status read the whole watch list")

    monkeypatch.setattr(repo, "watches", refused)
    found = status(repo, settings, NOW)
    assert [w.trial_id for w in found.failing] == expected_failing == ["NCT00000005"]
    assert [w.trial_id for w in found.stale] == expected_stale
    assert expected_stale == ["NCT00000002", "NCT00000003", "NCT00000004"]
    assert (found.watched, found.due) == (6, 6)
    # Some watched records were never fetched: no full sweep yet.
    assert found.full_sweeps == {"ctgov": None}
