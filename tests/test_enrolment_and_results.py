"""Planned and actual enrolment apart, and results as an office needs them, on real CT.gov
records. Enrolment, on real daily pairs
(tests/data/ctgov-versions): at a trial's end CT.gov replaces the plan by the number enrolled,
which is a report of the enrolment, never a cut of the target."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import settings_for
from watcher.core.diff import diff_records
from watcher.core.flags import red_flags
from watcher.sources import get

VERSIONS = Path(__file__).parent / "data" / "ctgov-versions"
CTGOV = get("ctgov", settings_for("http://registry.test"))
TODAY = date(2026, 12, 4)


def _pair(trial: str) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = sorted(VERSIONS.glob(f"{trial}_*.json"), key=lambda p: "after" in p.name)
    return (
        CTGOV.parse_file(before.read_bytes(), before.name)[0],
        CTGOV.parse_file(after.read_bytes(), after.name)[0],
    )


@pytest.mark.parametrize(
    ("trial", "plan", "enrolled", "share"),
    [("NCT05935098", 263, 99, 38), ("NCT07011550", 40, 7, 18)],
)
def test_the_actual_number_is_reported_never_a_cut(
    trial: str, plan: int, enrolled: int, share: int
) -> None:
    before, after = _pair(trial)
    assert (before["target_sample_size"], before["actual_enrolment"]) == (plan, None)
    assert (after["target_sample_size"], after["actual_enrolment"]) == (None, enrolled)
    changes = {c.field: c for c in diff_records(before, after)}
    assert "target_sample_size" not in changes and "target_sample_size_type" not in changes
    reported = changes["actual_enrolment"]
    assert reported.significance == "major"
    assert reported.summary == (
        f"Actual enrolment reported: {enrolled} of {plan} planned ({share} %)"
    )
    flags = red_flags([before, after], TODAY)
    assert "target_size_cut" not in {f.code for f in flags}
    # Both stopped early (terminated, suspended) with fewer than planned.
    assert [f.message for f in flags if f.code == "ended_short_of_enrolment"] == [
        f"Ended with {share} % of its planned enrolment ({enrolled} of {plan})"
    ]


def test_a_completion_date_is_a_date_not_a_result() -> None:
    before, after = _pair("NCT05935098")
    changes = diff_records(before, after)
    assert not [c for c in changes if c.field.startswith("results")], changes
    assert "completion_date" in {c.field for c in changes}


def test_a_plan_cut_before_the_end_is_still_a_cut() -> None:
    """The flag follows the plan: a plan cut from 263 to 150, then the actual 99 reported,
    is a cut of 43 %, not of 62 %."""
    before, after = _pair("NCT05935098")
    cut = before | {"target_sample_size": 150}
    flags = {f.code: f.message for f in red_flags([before, cut, after], TODAY)}
    assert flags["target_size_cut"] == (
        "Target sample size cut by 43% since we started watching (263 → 150)"
    )


RESULTS = (
    Path(__file__).parent / "data" / "ctgov" / "NCT01916382__trial-results-tracker_fixture.json"
)


def test_results_submitted_and_returned_twice_are_four_events_each_said_in_words() -> None:
    """NCT01916382 submitted its results twice and QC returned them twice; none was posted.
    An office hears each, and most of all that its own submission came back."""
    (record,) = CTGOV.parse_file(RESULTS.read_bytes(), RESULTS.name)
    events = record["results"]["events"]
    assert [(e["type"], e["date"]) for e in events] == [
        ("submitted", "2020-02-13"),
        ("returned", "2020-02-28"),
        ("submitted", "2025-02-19"),
        ("returned", "2025-03-11"),
    ]
    assert record["results"]["date_submitted"] == "2020-02-13"
    earlier = copy.deepcopy(record)
    earlier["results"]["events"] = events[:2]
    changes = diff_records(earlier, record)
    assert [(c.field, c.significance, c.summary) for c in changes] == [
        ("results.events", "major", "Results submitted to the register on 2025-02-19"),
        (
            "results.events",
            "major",
            "Results returned with comments by the register's quality control on 2025-03-11",
        ),
    ]


def test_results_are_overdue_a_year_after_the_primary_completion() -> None:
    (record,) = CTGOV.parse_file(RESULTS.read_bytes(), RESULTS.name)
    ended = record | {"status": "completed"}
    flags = {f.code: f.message for f in red_flags([ended], TODAY)}
    assert record["primary_completion_date"] == "2016-02"
    assert flags["results_missing"] == (
        "No results 131 months after the primary completion (2016-02-29)"
    )
