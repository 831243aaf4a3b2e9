"""Every periodic reading grows with the watch list no faster than linearly: the work (Python
function calls, counted by cProfile) of the digest, the period report, the feed, the list and
the status at three sizes of one office, in one run. A count, not a time: it holds on any
machine, however busy (bench/bench_period.py measures the times, docs/benchmarks.md keeps
them)."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bench.office import fill, trial_ids
from watcher.config import from_mapping
from watcher.service import Service

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SIZES = (20, 80, 320)


def _calls(work: Callable[[], object]) -> int:
    profile = cProfile.Profile()
    profile.runcall(work)
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(scope="module")
def offices(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Service]:
    """One office a size: one trial in ten changed in the last weeks, the rest unchanged."""
    out = {}
    for n in SIZES:
        database = f"sqlite:///{tmp_path_factory.mktemp(f'office{n}') / 'watcher.db'}"
        fill(database, trial_ids(n), at=NOW - timedelta(days=60), spread=21, later=32)
        service = Service(from_mapping({"database": {"url": database}}, "test", env={}))
        service.clock = lambda: NOW
        out[n] = service
    return out


@pytest.mark.parametrize(
    "reading",
    [
        pytest.param(lambda s: s.render(s.digest(), "text"), id="digest"),
        pytest.param(lambda s: s.render(s.report(), "html"), id="report"),
        pytest.param(lambda s: s.render(s.report(), "atom"), id="feed"),
        pytest.param(lambda s: s.triage(), id="list"),
        pytest.param(lambda s: s.status(), id="status"),
    ],
)
def test_a_reading_grows_no_faster_than_the_watch_list(
    offices: dict[int, Service], reading: Callable[[Service], object]
) -> None:
    calls = []
    for n in SIZES:
        with offices[n] as service:
            reading(service)  # warm: imports, templates, the schema check
            calls.append(_calls(lambda: reading(service)))
    # What each more trial costs, from the small office to the middle one and from there to
    # the large one: the same when the work is linear (a part fixed whatever the size aside);
    # work growing with the square of the trials costs four times as much a trial in the
    # second step as in the first.
    first = (calls[1] - calls[0]) / (SIZES[1] - SIZES[0])
    second = (calls[2] - calls[1]) / (SIZES[2] - SIZES[1])
    assert second <= 1.5 * first, (calls, first, second)
