"""What one change shows is bounded: a list change of 100,000 items shows its first items and
how many more, in alerts, digests, reports and pages; the export keeps every one."""

from __future__ import annotations

from watcher.core.model import FieldChange
from watcher.report.changes import SHOWN_PER_FIELD, change_views


def _site(n: int) -> FieldChange:
    return FieldChange(
        "contacts", "Contacts", None, f"Site {n}", "minor", "added", f"Contacts: added Site {n}"
    )


def test_a_change_of_100000_items_shows_the_first_and_how_many_more() -> None:
    status = FieldChange(
        "recruitment_status", "Recruitment status", "Recruiting", "Completed", "major"
    )
    views = change_views([*(_site(n) for n in range(100_000)), status])
    assert views[0].label == "Recruitment status"  # major first, never pushed out
    shown = [v for v in views if v.label == "Contacts"]
    assert len(shown) == SHOWN_PER_FIELD + 1
    assert shown[-1].summary == "Contacts: and 99,975 more changes (every one is in the export)"
    assert [v.summary for v in shown[:2]] == ["Contacts: added Site 0", "Contacts: added Site 1"]


def test_a_short_list_change_is_shown_whole() -> None:
    views = change_views([_site(n) for n in range(SHOWN_PER_FIELD)])
    assert len(views) == SHOWN_PER_FIELD and "more" not in views[-1].summary
