from __future__ import annotations

from watcher.model import FieldChange, empty_record
from watcher.present import change_lines, record_lines, value_text


def test_values_for_a_person() -> None:
    assert value_text(None) == "(none)"
    assert value_text([]) == "(none)"
    assert value_text(True) == "yes"
    assert value_text({"available": False, "url": None}) == "available: no"


def test_list_changes_show_what_went_and_what_came() -> None:
    change = FieldChange(
        "countries", "Countries of recruitment", ["France", "Spain"], ["Spain", "Italy"], "minor"
    )
    assert change_lines(change) == ["Countries of recruitment [minor]", "  - France", "  + Italy"]


def test_multi_line_values_stay_indented() -> None:
    change = FieldChange(
        "primary_outcomes", "Primary outcomes", [], ["DFS\nTime frame: 5 y"], "major"
    )
    assert change_lines(change) == ["Primary outcomes [major]", "  + DFS", "    Time frame: 5 y"]


def test_record_lists_one_item_a_line() -> None:
    record = empty_record("NCT01234567", "ctgov", "ctgov") | {"countries": ["France", "Spain"]}
    lines = record_lines(record)
    i = lines.index("Countries of recruitment (2):")
    assert lines[i + 1 : i + 3] == ["  - France", "  - Spain"]
    assert "Trial ID: NCT01234567" in lines
