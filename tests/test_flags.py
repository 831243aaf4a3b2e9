from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from watcher.core.flags import DEFAULT_FLAGS, FlagRules, facts_of, flagged, flags_of, red_flags
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


_DATES = st.one_of(
    st.none(),
    st.dates(date(2015, 1, 1), date(2027, 12, 31)).map(date.isoformat),
    st.dates(date(2015, 1, 1), date(2027, 12, 31)).map(lambda d: d.isoformat()[:7]),
    st.just("not a date"),
)
_SIZES = st.one_of(st.none(), st.integers(0, 2000), st.just("about 100"))
_VERSIONS = st.lists(
    st.fixed_dictionaries(
        {
            "registration_date": _DATES,
            "first_enrolment_date": _DATES,
            "completion_date": _DATES,
            "primary_completion_date": _DATES,
            "status": st.sampled_from(["recruiting", "completed", "terminated", "ongoing", None]),
            "target_sample_size": _SIZES,
            "actual_enrolment": _SIZES,
            "results": st.sampled_from([{}, {"available": True}]),
        }
    ),
    min_size=1,
    max_size=4,
)


@given(
    versions=_VERSIONS,
    today=st.dates(date(2016, 1, 1), date(2030, 12, 31)),
    cut=st.sampled_from([0.0, 0.25, 0.9]),
    stale=st.integers(0, 400),
)
def test_the_list_tells_a_flagged_trial_as_its_flags_do(
    versions: list[dict[str, Any]], today: date, cut: float, stale: int
) -> None:
    """``flagged`` (asked of every watched trial) says what ``flags_of`` says, from stored
    facts (JSON, their terms folded in) as from facts without terms (a database filled
    before they were kept)."""
    rules = FlagRules(cut, timedelta(days=stale), timedelta(days=stale * 2))
    records = [empty_record("NCT00000001", "ctgov", "ctgov") | v for v in versions]
    stored = orjson.loads(orjson.dumps(facts_of(records)))
    raised = flags_of(stored, today, rules)
    assert flagged(stored, today, rules) == bool(raised)
    older = {k: v for k, v in stored.items() if k != "terms"}
    assert flags_of(older, today, rules) == raised == red_flags(records, today, rules)
