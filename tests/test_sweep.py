"""Between full sweeps a check fetches only what CT.gov lists as updated (watcher/sweep.py):
the plan, and a whole office of 300 studies on the local register."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import settings_for
from tests.registry_server import RegistryServer, RegistryState, load_study, study_as
from tests.test_dictionaries import _codecs
from watcher.core.model import Watch
from watcher.service import Service
from watcher.store.db import make_engine
from watcher.store.sql import SqlStore
from watcher.sweep import plan, unchanged

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
SMALL = Path(__file__).parent / "data" / "ctgov" / "biomcp_get_nct02576665_20260811.json"


def _watch(trial_id: str, fetched: timedelta | None, **values: object) -> Watch:
    at = NOW - fetched if fetched is not None else None
    return Watch(trial_id, "ctgov", "ctgov", fetched_at=at, **({"versions": 1} | values))  # type: ignore[arg-type]


def test_what_is_fetched_whatever_the_register_lists() -> None:
    watches = [
        _watch("NCT00000001", timedelta(days=1)),
        _watch("NCT00000002", timedelta(days=3)),
        _watch("NCT00000003", timedelta(days=8)),  # past its full sweep
        _watch("NCT00000004", None),  # never fetched
        _watch("NCT00000005", timedelta(days=1), consecutive_failures=2),
        _watch("NCT00000006", timedelta(days=1), versions=0),
    ]
    sweep = plan(watches, NOW, WEEK)
    assert sweep.fetch == ["NCT00000003", "NCT00000004", "NCT00000005", "NCT00000006"]
    assert [w.trial_id for w in sweep.ask] == ["NCT00000001", "NCT00000002"]
    # From two days before the oldest fetch asked about: the register dates in its own day.
    assert sweep.since == date(2026, 12, 2)
    assert plan(watches, NOW, None).fetch == [w.trial_id for w in watches]
    alias = _watch("NCT00000007", timedelta(days=1), redirected_to="NCT09999999")
    assert unchanged([*sweep.ask, alias], {"NCT00000002", "NCT09999999"}) == ["NCT00000001"]


def _updated(study: dict, day: datetime) -> None:  # type: ignore[type-arg]
    status = study["protocolSection"]["statusModule"]
    status["lastUpdatePostDateStruct"] = {"date": day.date().isoformat(), "type": "ACTUAL"}


def _asked(log: list[str]) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(path).query) for path in log]


@contextmanager
def _office(
    tmp_path: Path, clock: list[datetime]
) -> Iterator[tuple[list[str], RegistryState, Service]]:
    """An office watching 300 CT.gov studies last updated a month ago, on the local register;
    ``clock[0]`` is the service's time."""
    ids = [f"NCT{10000000 + i:08d}" for i in range(300)]
    state = RegistryState(studies={nct: study_as(load_study(SMALL), nct) for nct in ids})
    for study in state.studies.values():
        _updated(study, NOW - timedelta(days=30))
    with RegistryServer(state) as server:
        settings = settings_for(server.url, f"sqlite:///{tmp_path / 'watcher.db'}")
        with Service(settings, clock=lambda: clock[0], sleep=lambda _s: None) as service:
            service.add(ids)
            yield ids, state, service


@pytest.mark.e2e
def test_one_changed_study_among_300_costs_a_handful_of_requests(tmp_path: Path) -> None:
    clock = [NOW]
    with _office(tmp_path, clock) as (ids, state, service):
        first = service.check()  # never fetched: all fetched, in one page
        assert [o.kind for o in first.outcomes].count("baseline") == 300

        # A day later one study is suspended, and the register dates its update.
        clock[0] = NOW + timedelta(days=1)
        changed = state.studies[ids[123]]
        changed["protocolSection"]["statusModule"]["overallStatus"] = "SUSPENDED"
        _updated(changed, clock[0])
        # Another changes without its date moving (a register forgetting to date it).
        state.studies[ids[7]]["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
        state.forgotten.add(ids[7])
        state.log.clear()
        second = service.check()
        kinds = {o.trial_id: o.kind for o in second.outcomes}
        assert kinds[ids[123]] == "changed" and kinds[ids[7]] == "unchanged"
        assert sum(k == "unchanged" for k in kinds.values()) == 299
        asked = _asked(state.log)
        assert len(asked) == 2, state.log  # the list of updates, then the one study
        assert all(len(q.get("filter.ids", [""])[0].split(",")) < 300 for q in asked)
        assert "AREA[LastUpdatePostDate]RANGE[" in asked[0]["filter.advanced"][0]
        assert asked[0]["fields"] == ["NCTId"]

        # A week after the first fetch the full sweep is due: every study is fetched,
        # and the change the register did not date is found.
        clock[0] = NOW + timedelta(days=7, hours=1)
        state.log.clear()
        third = service.check()
        kinds = {o.trial_id: o.kind for o in third.outcomes}
        assert kinds[ids[7]] == "changed"
        fetched = [q for q in _asked(state.log) if "filter.ids" in q]
        assert sum(len(q["filter.ids"][0].split(",")) for q in fetched) >= 299
        status = service.status().to_json()
        assert status["full_sweeps"]["ctgov"] == clock[0].isoformat()


@pytest.mark.e2e
def test_a_run_page_after_page_asks_for_the_list_of_updates_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watcher.service.checking

    # A whole register is read a page of watches at a time: six pages here.
    monkeypatch.setattr(watcher.service.checking, "PAGE", 50)
    clock = [NOW]
    with _office(tmp_path, clock) as (ids, state, service):
        assert [o.kind for o in service.check().outcomes].count("baseline") == 300
        clock[0] = NOW + timedelta(days=1)
        for tid in (ids[51], ids[251]):  # on the second page and the sixth
            changed = state.studies[tid]
            changed["protocolSection"]["statusModule"]["overallStatus"] = "SUSPENDED"
            _updated(changed, clock[0])
        state.log.clear()
        result = service.check()
        kinds = {o.trial_id: o.kind for o in result.outcomes}
        assert sorted(kinds) == ids and sorted(result.titles) == [ids[51], ids[251]]
        assert [t for t, kind in kinds.items() if kind == "changed"] == [ids[51], ids[251]]
        # One list for the six pages; the studies it names fetched together.
        assert len(state.log) == 2, state.log
        assert "AREA[LastUpdatePostDate]" in _asked(state.log)[0]["filter.advanced"][0]
        assert ids[51] in state.log[1] and ids[251] in state.log[1]


@pytest.mark.e2e
def test_a_first_check_of_a_whole_register_gets_its_dictionary_on_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watcher.service.checking
    from watcher.store.dictionaries import LEAST

    monkeypatch.setattr(watcher.service.checking, "PAGE", 50)
    with _office(tmp_path, [NOW]) as (_ids, _state, service):
        assert [o.kind for o in service.check().outcomes].count("baseline") == 300
    engine = make_engine(f"sqlite:///{tmp_path / 'watcher.db'}")
    try:
        codecs = _codecs(SqlStore(engine))
    finally:
        engine.dispose()
    # The first pages are stored plainly; the dictionary trained once LEAST were stored
    # serves the pages after them, in the same run.
    assert codecs == {"zstd": LEAST, "zstd+d1": 300 - LEAST}, codecs
