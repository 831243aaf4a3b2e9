"""What must not read the whole watch list: `status` and ``/healthz`` count in the database
(the same failing and stale trials as judging every watch one by one), and a trial's page
finds its other registrations by a search of the links."""

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


def test_a_trials_other_registrations_are_found_without_the_watch_list(
    repo: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update

    from watcher.service import Service
    from watcher.store.tables import WatchRow

    repo.add_watches(
        [
            Watch("NCT04267848", "ctgov", "ctgov"),
            Watch("EUCTR2020-000000-11-FR", "euctr", "euctr"),
            Watch("EUCTR2020-000000-11-DE", "euctr", "euctr"),
            Watch("ISRCTN12345678", "isrctn", "isrctn"),  # names nothing of these
        ],
        NOW,
    )
    with repo._session() as session:
        names = {"EUCTR2020-000000-11-FR": ["NCT04267848"], "ISRCTN12345678": ["NCT00000001"]}
        for tid, links in names.items():
            session.execute(update(WatchRow).where(WatchRow.trial_id == tid).values(links=links))
    monkeypatch.setattr(repo, "watched_links", lambda: (_ for _ in ()).throw(AssertionError))
    service = Service(from_mapping({}, "test settings", env={}), store=repo)
    found = service.linked("NCT04267848", [])
    # The EUCTR member state names it: its whole trial is the other registration, watched.
    assert [(f.trial_id, f.watched) for f in found] == [("EUCTR2020-000000-11", True)]
    back = service.linked("EUCTR2020-000000-11-DE", ["NCT04267848"])
    assert [(f.trial_id, f.watched) for f in back] == [("NCT04267848", True)]
