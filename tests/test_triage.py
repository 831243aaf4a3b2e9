"""The list's triage, on watches as the store gives them: what needs action comes first, each
filter finds its rows, a whole EUCTR trial is one row, flags are read for today."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.conftest import watcher_cli
from watcher.config.settings import ScheduleSettings
from watcher.core.flags import DEFAULT_FLAGS, facts_of, flags_of, fold, red_flags
from watcher.core.model import Watch, empty_record
from watcher.triage import triage

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SCHEDULE = ScheduleSettings(timedelta(days=1), "mon 08:00", failures_before_alert=3)


def _watch(trial_id: str, **values: object) -> Watch:
    ok = {"last_checked_at": NOW, "last_success_at": NOW, "added_at": NOW - timedelta(days=30)}
    return Watch(trial_id, "ctgov", "ctgov", **(ok | values))  # type: ignore[arg-type]


def _changed(days: int, text: str = "Recruitment status: Recruiting → Suspended") -> dict:  # type: ignore[type-arg]
    return {
        "latest_change": text,
        "latest_change_significance": "major",
        "latest_change_at": NOW - timedelta(days=days),
    }


def _facts(**record: object) -> dict:  # type: ignore[type-arg]
    facts = facts_of([empty_record("NCT00000001", "ctgov", "ctgov") | record])
    assert facts is not None
    return facts


def test_what_needs_action_comes_first_and_each_filter_finds_its_rows() -> None:
    watches = [
        _watch("NCT00000001", **_changed(1), unreviewed=1),  # a minor change to review
        _watch("NCT00000002", **_changed(9), unreviewed=2, unreviewed_major=1),
        _watch("NCT00000003", consecutive_failures=3, last_error="HTTP 500"),
        _watch("NCT00000004", last_success_at=NOW - timedelta(days=3)),  # stale
        # Completed two years ago, no results: flagged (today, not when it was stored).
        _watch(
            "NCT00000005",
            flag_facts=_facts(
                status="completed",
                recruitment_status="COMPLETED",
                completion_date="2024-11-30",
            ),
        ),
        _watch("NCT00000006", **_changed(0)),  # reviewed: nothing to do
        _watch("NCT00000007", tags=("lung",)),
    ]
    found = triage(watches, NOW, SCHEDULE, DEFAULT_FLAGS)
    assert [r.watch.trial_id[-1] for r in found.rows] == ["2", "3", "4", "5", "1", "6", "7"]
    assert found.counts == {"major": 1, "flagged": 1, "failing": 1, "stale": 1, "unreviewed": 2}
    assert found.needs_action == 4
    flagged = [r for r in found.rows if r.shows("flagged")]
    assert [f.code for f in flagged[0].flags] == ["results_missing"]
    assert [r.watch.trial_id for r in found.rows if r.shows("failing")] == ["NCT00000003"]
    assert found.rows[1].error == "HTTP 500"
    assert found.rows[0].latest and found.rows[0].latest.summary.startswith("Recruitment status")
    tagged = triage(watches, NOW, SCHEDULE, DEFAULT_FLAGS, tag="lung")
    assert [r.watch.trial_id for r in tagged.rows] == ["NCT00000007"]


def test_a_whole_euctr_trial_is_one_row_telling_a_repeated_change_once() -> None:
    whole = "EUCTR2021-002179-21"
    members = [
        _watch(f"{whole}-{c}", **_changed(2, "Target sample size: 600 → 450 (−25%)"), unreviewed=1)
        for c in ("AT", "DE", "ES", "FR")
    ]
    lone = _watch("EUCTR2017-001400-29-FR", **_changed(1), unreviewed=1, unreviewed_major=1)
    found = triage([_watch(whole), *members, lone], NOW, SCHEDULE, DEFAULT_FLAGS)
    assert [r.watch.trial_id for r in found.rows] == ["EUCTR2017-001400-29-FR", whole]
    row = found.rows[1]
    assert (len(row.members), row.unreviewed) == (4, 4)
    assert row.latest and row.latest.member == "4 member states"
    assert row.latest.summary == "Target sample size: 600 → 450 (−25%)"


def test_the_flags_facts_fold_one_version_at_a_time_as_stored() -> None:
    """Folding each new version into the stored (JSON) facts raises the flags that reading
    every version raises."""
    base = empty_record("NCT00000001", "ctgov", "ctgov") | {"registration_date": "2020-03-01"}
    records = [
        base | {"first_enrolment_date": "2020-01-15", "target_sample_size": 400},
        base | {"first_enrolment_date": "2020-03-15", "target_sample_size": 200},
        base
        | {
            "first_enrolment_date": "2020-03-15",
            "target_sample_size": 200,
            "status": "terminated",
            "actual_enrolment": 50,
        },
    ]
    stored = None
    for record in records:
        stored = orjson.loads(orjson.dumps(fold(stored, record)))
    today = NOW.date()
    assert flags_of(stored, today) == red_flags(records, today)
    assert [f.code for f in flags_of(stored, today)] == [
        "enrolment_moved_after_registration",
        "target_size_cut",
        "ended_short_of_enrolment",
    ]


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_the_list_of_an_office_says_what_needs_action(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from tests.conftest import NCT
    from tests.office import FAILING, QUIET, office
    from watcher.config import load
    from watcher.service import Service
    from watcher.web.app import make_app
    from watcher.web.guard import protect

    def listed(page: str) -> list[str]:
        return re.findall(r'<a href="/trial/(NCT\d+)"', page)

    with office(tmp_path) as o:
        service = Service(load(str(o.config)))
        with service, TestClient(protect(make_app(service), None, "office", "s")) as client:
            page = client.get("/").text
            band = page.split('id="action"', 1)[1].split("</section>", 1)[0]
            # The recorded study's completion date (2025-12-15) is past: each record says
            # "Recruiting" or "Active, not recruiting" a year on, a red flag of all three.
            assert "3 of 3 trial(s) need action" in band and "<b>3</b> with red flags" in band
            assert '<a href="/?show=major"' in band and "<b>1</b> major change to review" in band
            assert '<a href="/?show=failing"' in band and "<b>1</b> failing checks" in band
            assert listed(page) == [NCT, FAILING, QUIET]
            row = page.split(f'<a href="/trial/{NCT}"', 1)[1].split("</tr>", 1)[0]
            latest = row.split('class="latest"', 1)[1].split("</td>", 1)[0]
            assert "Recruitment status: Recruiting → Active, not recruiting" in latest
            assert "(and 1 more change)" in latest and ">major</span>" in latest
            assert "1 major" in row.split('class="unreviewed"', 1)[1]

            assert listed(client.get("/?show=major").text) == [NCT]
            assert listed(client.get("/?show=failing").text) == [FAILING]
            assert listed(client.get("/?show=failing&tag=cardiology").text) == []
            assert listed(client.get("/?show=nonsense").text) == [NCT, FAILING, QUIET]
        watcher_cli(o.config, "review", NCT, "--by", "A. Moreau")
        with service, TestClient(protect(make_app(service), None, "office", "s")) as client:
            page = client.get("/").text
        assert "<b>1</b> major change to review" not in page
        assert listed(page) == [FAILING, NCT, QUIET]


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_a_version_of_bookkeeping_alone_asks_no_review(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from tests.office import QUIET, office
    from watcher.config import load
    from watcher.service import Service
    from watcher.web.app import make_app
    from watcher.web.guard import protect

    with office(tmp_path) as o:
        status = o.server.state.studies[QUIET]["protocolSection"]["statusModule"]
        status["lastUpdatePostDateStruct"]["date"] = "2026-12-01"  # the register's date alone
        watcher_cli(o.config, "check", QUIET)
        service = Service(load(str(o.config)))
        with service, TestClient(protect(make_app(service), None, "office", "s")) as client:
            trial = client.get(f"/trial/{QUIET}").text
            listed = client.get("/?show=unreviewed").text
    assert "Version 2" in trial and ">metadata</span>" in trial
    assert "no review needed" in trial and "Not reviewed yet." not in trial
    assert f'<a href="/trial/{QUIET}"' not in listed
