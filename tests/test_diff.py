from __future__ import annotations

from watcher.diff import diff_records
from watcher.model import empty_record


def _record(**changes: object) -> dict[str, object]:
    record = empty_record("NCT01234567", "ctgov", "ctgov")
    record.update(recruitment_status="RECRUITING", status="recruiting", target_sample_size=120)
    record.update(changes)
    return record


def test_no_change_no_diff() -> None:
    assert diff_records(_record(), _record()) == []


def test_each_changed_field_once_with_label_and_significance() -> None:
    changes = diff_records(
        _record(),
        _record(
            recruitment_status="ACTIVE_NOT_RECRUITING",
            status="active_not_recruiting",
            target_sample_size=80,
            last_updated="2026-01-02",
        ),
    )
    assert [(c.field, c.label, c.old, c.new, c.significance) for c in changes] == [
        ("last_updated", "Last updated in the register", None, "2026-01-02", "metadata"),
        (
            "recruitment_status",
            "Recruitment status",
            "RECRUITING",
            "ACTIVE_NOT_RECRUITING",
            "major",
        ),
        ("target_sample_size", "Target sample size", 120, 80, "major"),
    ]


def test_a_derived_field_shows_when_its_source_did_not_change() -> None:
    changes = diff_records(_record(), _record(status="unknown"))
    assert [c.field for c in changes] == ["status"]


def test_object_fields_are_compared_key_by_key() -> None:
    old = _record()
    new = _record(results={**old["results"], "available": True, "date_posted": "2026-01-02"})  # type: ignore[dict-item]
    changes = diff_records(old, new)
    assert [(c.field, c.label) for c in changes] == [
        ("results.available", "Results: available"),
        ("results.date_posted", "Results: date posted"),
    ]
    assert {c.significance for c in changes} == {"major"}
