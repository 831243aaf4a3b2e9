from __future__ import annotations

from watcher.cli.present import change_lines, record_lines
from watcher.core.display import shown as value_text
from watcher.core.model import FieldChange, empty_record


def test_values_for_a_person() -> None:
    assert value_text(None) == "(none)"
    assert value_text([]) == "(none)"
    assert value_text(True) == "yes"
    assert value_text({"available": False, "url": None}) == "available: no"


def test_a_change_is_its_summary_marked_by_significance() -> None:
    change = FieldChange(
        "countries",
        "Countries of recruitment",
        None,
        "Italy",
        "minor",
        "added",
        "Countries of recruitment: added Italy",
    )
    assert change_lines(change) == ["* Countries of recruitment: added Italy"]


def test_a_long_text_change_shows_its_words() -> None:
    change = FieldChange(
        "inclusion_criteria",
        "Inclusion criteria",
        "a",
        "b",
        "minor",
        "changed",
        "Inclusion criteria changed (+1 word, −1 word)",
        (
            {"op": "equal", "text": "Age >="},
            {"op": "delete", "text": "18"},
            {"op": "insert", "text": "21"},
        ),
    )
    assert change_lines(change) == [
        "* Inclusion criteria changed (+1 word, −1 word)",
        "    Age >= [-18-] {+21+}",
    ]


def test_record_lists_one_item_a_line() -> None:
    record = empty_record("NCT01234567", "ctgov", "ctgov") | {"countries": ["France", "Spain"]}
    lines = record_lines(record)
    i = lines.index("Countries of recruitment (2):")
    assert lines[i + 1 : i + 3] == ["  - France", "  - Spain"]
    assert "Trial ID: NCT01234567" in lines
