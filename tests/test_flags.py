from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from watcher.core.flags import DEFAULT_FLAGS, FlagRules, red_flags
from watcher.core.model import empty_record

TODAY = date(2026, 11, 24)


def _record(**fields: Any) -> dict[str, Any]:
    return empty_record("NCT01234567", "ctgov", "ctgov") | fields


def _codes(*records: dict[str, Any], rules: FlagRules = DEFAULT_FLAGS) -> list[str]:
    return [f.code for f in red_flags(records, TODAY, rules)]


def test_no_versions_no_flags() -> None:
    assert red_flags([], TODAY) == []


def test_enrolment_moved_after_the_registration_date() -> None:
    first = _record(registration_date="2020-02-12", first_enrolment_date="2020-01-10")
    later = first | {"first_enrolment_date": "2020-03-01"}
    [flag] = red_flags([first, later], TODAY)
    assert flag.code == "enrolment_moved_after_registration"
    assert flag.message == (
        "Date of first enrolment moved from 2020-01-10 (before the "
        "registration on 2020-02-12) to 2020-03-01, after it"
    )
    assert _codes(later) == []  # prospective from the start: nothing moved


def test_target_size_cut_beyond_the_share() -> None:
    first = _record(target_sample_size=120)
    assert _codes(first, first | {"target_sample_size": 100}) == []  # −17%
    [flag] = red_flags([first, first | {"target_sample_size": 80}], TODAY)
    assert flag.message == "Target sample size cut by 33% since we started watching (120 → 80)"
    assert _codes(first, first | {"target_sample_size": 100}, rules=FlagRules(target_cut=0.1)) == [
        "target_size_cut"
    ]


def test_status_not_updated_after_completion() -> None:
    done = (TODAY - timedelta(days=200)).isoformat()
    record = _record(completion_date=done, status="recruiting", recruitment_status="RECRUITING")
    [flag] = red_flags([record], TODAY)
    assert flag.message == f"Status still 'Recruiting' 200 days after the completion date ({done})"
    assert _codes(record, rules=FlagRules(status_stale_after=timedelta(days=365))) == []


def test_no_results_a_year_after_the_end() -> None:
    end = (TODAY - timedelta(days=400)).isoformat()
    record = _record(completion_date=end, status="completed")
    assert _codes(record) == ["results_missing"]
    posted = record | {
        "results": {
            "available": True,
            "date_posted": "2026-01-01",
            "url": None,
        }
    }
    assert _codes(posted) == []
    assert _codes(record | {"completion_date": (TODAY - timedelta(days=100)).isoformat()}) == []


def test_a_month_only_date_counts_as_its_last_day() -> None:
    record = _record(completion_date="2025-10", status="completed")
    assert _codes(record) == ["results_missing"]  # 2025-10-31 is more than 365 days ago
    assert _codes(record | {"completion_date": "2025-12"}) == []
