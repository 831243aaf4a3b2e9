"""Checks against the local register server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import NCT
from tests.registry_server import (
    SMALL_STUDY,
    Fault,
    RegistryServer,
    RegistryState,
    load_study,
    study_as,
)
from watcher.config import Settings
from watcher.core.model import CheckOutcome, Watch
from watcher.pipeline import Checker
from watcher.sources.http import make_client
from watcher.store.sql import SqlStore


def _check(settings: Settings, repo: SqlStore, *ids: str) -> list[CheckOutcome]:
    watches = [repo.watch(t) for t in ids] if ids else repo.watches()
    with make_client(settings.http) as client:
        return Checker(settings, repo, client, sleep=lambda _s: None).check(watches)


def _watch(repo: SqlStore, *ids: str) -> None:
    repo.add_watches([Watch(t, "ctgov", "ctgov") for t in ids], datetime.now(UTC))


def test_unchanged_checks_add_no_version(settings: Settings, repo: SqlStore) -> None:
    _watch(repo, NCT)
    [first] = _check(settings, repo)
    assert (first.kind, first.version) == ("baseline", 1)
    for _ in range(3):
        [again] = _check(settings, repo)
        assert again.kind == "unchanged"
    rows = repo.count_rows()
    assert rows["snapshot"] == 1
    assert rows["check_log"] == 2  # baseline, then one run of three unchanged checks


def test_a_real_change_makes_one_version_with_exactly_its_fields(
    settings: Settings, repo: SqlStore, ctgov_state: RegistryState
) -> None:
    _watch(repo, NCT)
    _check(settings, repo)
    study = ctgov_state.studies[NCT]
    study["protocolSection"]["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 1000
    [outcome] = _check(settings, repo)
    assert (outcome.kind, outcome.version) == ("changed", 2)
    assert [(c.field, c.old, c.new, c.significance) for c in outcome.changes] == [
        ("recruitment_status", "RECRUITING", "ACTIVE_NOT_RECRUITING", "major"),
        ("target_sample_size", 1210, 1000, "major"),
    ]
    assert [v.changes for v in repo.history(NCT)] == [0, 2]


def test_the_daily_version_holder_never_makes_a_version(
    settings: Settings, repo: SqlStore, ctgov_state: RegistryState
) -> None:
    _watch(repo, NCT)
    _check(settings, repo)
    ctgov_state.studies[NCT]["derivedSection"]["miscInfoModule"]["versionHolder"] = "2025-09-12"
    assert [o.kind for o in _check(settings, repo)] == ["unchanged"]
    assert repo.count_rows()["snapshot"] == 1


def test_one_failing_trial_never_stops_the_others(
    settings: Settings, repo: SqlStore, ctgov_state: RegistryState
) -> None:
    ids = ["NCT00000001", "NCT00000002", "NCT00000003"]
    for tid in ids:
        ctgov_state.studies[tid] = study_as(load_study(SMALL_STUDY), tid)
    _watch(repo, *ids, "NCT00000404")
    ctgov_state.faults["NCT00000002"] = Fault(500)
    outcomes = {o.trial_id: o for o in _check(settings, repo)}
    assert {t: o.kind for t, o in outcomes.items()} == {
        "NCT00000001": "baseline",
        "NCT00000002": "failed",
        "NCT00000003": "baseline",
        "NCT00000404": "failed",
    }
    assert "HTTP 500" in (outcomes["NCT00000002"].error or "")
    assert "no such record" in (outcomes["NCT00000404"].error or "")
    assert repo.watch("NCT00000002").consecutive_failures == 1


def test_an_error_page_with_status_200_keeps_the_last_good_version(
    settings: Settings, repo: SqlStore, ctgov_state: RegistryState, server: RegistryServer
) -> None:
    _watch(repo, NCT)
    _check(settings, repo)
    ctgov_state.faults[NCT] = Fault(
        200, b"<html><body>Down for maintenance</body></html>", "text/html"
    )
    ctgov_state.faults["batch"] = ctgov_state.faults[NCT]
    [outcome] = _check(settings, repo)
    assert outcome.kind == "failed"
    assert "expected JSON" in (outcome.error or "")
    assert repo.version(NCT).version == 1
    assert repo.count_rows()["snapshot"] == 1


def test_requests_are_batched_and_carry_the_user_agent(
    repo: SqlStore, ctgov_state: RegistryState
) -> None:
    ids = [f"NCT{i:08d}" for i in range(1, 31)]
    for tid in ids:
        ctgov_state.studies[tid] = study_as(load_study(SMALL_STUDY), tid)
    ctgov_state.page_limit = 20
    with RegistryServer(ctgov_state) as srv:
        from tests.conftest import settings_for

        settings = settings_for(srv.url, contact="office@example.org")
        _watch(repo, *ids)
        outcomes = _check(settings, repo)
        assert {o.kind for o in outcomes} == {"baseline"}
        assert ctgov_state.requests["/api/v2/studies"] == 2  # 20 + 10, one query with its token
        assert all("watcher/" in ua and "office@example.org" in ua for ua in srv.user_agents)


@pytest.mark.parametrize("status", [404, 410])
def test_a_withdrawn_record_is_a_failed_check_with_the_reason(
    status: int, settings: Settings, repo: SqlStore, ctgov_state: RegistryState
) -> None:
    _watch(repo, NCT)
    _check(settings, repo)
    del ctgov_state.studies[NCT]
    ctgov_state.faults[NCT] = Fault(status, b"{}", "application/json")
    [outcome] = _check(settings, repo)
    assert outcome.kind == "failed"
    assert f"no such record (HTTP {status}" in (outcome.error or "")


def test_each_source_keeps_its_own_request_budget(repo: SqlStore) -> None:
    """Three ICTRP pages at ICTRP's default budget (10 a minute) wait 6 s between requests,
    while CT.gov's batch in the same run does not wait on ICTRP's budget."""
    from pathlib import Path

    from watcher.config import from_mapping

    page = (
        Path(__file__).parent
        / "data"
        / "ictrp"
        / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt"
    ).read_text(encoding="utf-8")
    ids = ["EUCTR2017-001400-29-FR", "EUCTR2017-001400-29-DE", "EUCTR2017-001400-29-IT"]
    state = RegistryState(
        studies={NCT: load_study()},
        ictrp_pages={t: page.replace("EUCTR2017-001400-29-FR", t).encode() for t in ids},
    )
    with RegistryServer(state) as srv:
        settings = from_mapping(
            {
                "sources": {"ictrp": {"base_url": srv.url}, "ctgov": {"base_url": srv.url}},
                "http": {"retries": 0},
            },
            env={},
        )
        repo.add_watches(
            [Watch(t, "euctr", "ictrp") for t in ids] + [Watch(NCT, "ctgov", "ctgov")],
            datetime.now(UTC),
        )
        now = [0.0]
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            now[0] += seconds

        with make_client(settings.http) as client:
            checker = Checker(settings, repo, client, sleep=sleep, monotonic=lambda: now[0])
            outcomes = checker.check(repo.watches())
    assert {o.kind for o in outcomes} == {"baseline"}
    assert sleeps == [6.0, 6.0]


def test_a_hash_from_an_older_hash_function_makes_no_version(
    settings: Settings, repo: SqlStore, ctgov_state: RegistryState
) -> None:
    """Upgrading watcher to a new hash function must not make a version of every trial."""
    from watcher.core.hashing import content_hash
    from watcher.core.model import Fetched
    from watcher.sources.ctgov_study import normalize_study

    _watch(repo, NCT)
    record = normalize_study(ctgov_state.studies[NCT], NCT)
    repo.add_version(
        NCT,
        at=datetime.now(UTC),
        fetched=Fetched(NCT, "ctgov", b"{}", "application/json", "u"),
        record=record,
        content_hash="1:" + "0" * 64,
        previous=0,
        changes=0,
    )
    [outcome] = _check(settings, repo)
    assert outcome.kind == "unchanged"
    [version] = repo.history(NCT)
    assert version.content_hash == content_hash(record)


def test_a_register_reordering_its_lists_makes_no_version(
    settings: Settings, repo: SqlStore, ctgov_state: RegistryState
) -> None:
    _watch(repo, NCT)
    _check(settings, repo)
    ps = ctgov_state.studies[NCT]["protocolSection"]
    ps["outcomesModule"]["secondaryOutcomes"].reverse()
    ps["conditionsModule"]["conditions"].reverse()
    ps["contactsLocationsModule"]["locations"].reverse()
    assert [o.kind for o in _check(settings, repo)] == ["unchanged"]
    assert repo.count_rows()["snapshot"] == 1
