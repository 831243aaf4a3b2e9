from __future__ import annotations

import pytest

from watcher.core.model import RECORD_KEYS, empty_record
from watcher.core.normalize import (
    clean_block,
    clean_line,
    finish_record,
    iso_date,
    parse_int,
    unescape_markdown,
    unique,
    unique_sorted,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-20", "2024-05-20"),
        ("2016-07", "2016-07"),
        ("20240408", "2024-04-08"),
        ("08/04/2024", "2024-04-08"),
        ("20 May 2024", "2024-05-20"),
        ("20 May 2024\n    ", "2024-05-20"),
        ("April 25, 2024", "2024-04-25"),
        ("Sept 3, 2021", "2021-09-03"),
        ("April 2024", "2024-04"),
        ("2024-05-20T10:11:12Z", "2024-05-20"),
        ("", None),
        (None, None),
    ],
)
def test_dates_become_iso(text: str | None, expected: str | None) -> None:
    assert iso_date(text) == expected


def test_month_first_dates_when_the_register_says_so() -> None:
    assert iso_date("06/09/2024", dayfirst=False) == "2024-06-09"
    assert iso_date("06/09/2024") == "2024-09-06"


@pytest.mark.parametrize("text", ["yesterday", "31/02/2024", "2024-13", "Smarch 3, 2020"])
def test_unreadable_dates_raise_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        iso_date(text)


def test_clean_line_collapses_whitespace_and_decodes_entities() -> None:
    assert clean_line("  A&amp;B \t\n  trial  ") == "A&B trial"
    assert clean_line("   \n ") is None
    assert clean_line("x&lt;br&gt;y") == "x y"


def test_clean_block_keeps_line_breaks_and_relative_indentation() -> None:
    raw = "        Inclusion:\r\n\r\n          * one   item  \r\n          * two\n\n\n\n        end"
    assert clean_block(raw) == "Inclusion:\n\n  * one item\n  * two\n\nend"


def test_in_markup_only_br_breaks_a_line() -> None:
    """ICTRP's export writes each line break as "\\r<br>": one break, as a browser shows it."""
    raw = "\r<br>        Inclusion Criteria:\r<br>\r<br>        - Carrier of a\r\nvariant<br>"
    assert clean_block(raw) == "Inclusion Criteria:\n\n- Carrier of a variant"


def test_reflowed_whitespace_gives_the_same_block() -> None:
    a = "1. Adults\n2. Consent given  "
    b = "1. Adults   \r\n2. Consent   given\r\n\r\n"
    assert clean_block(a) == clean_block(b)


def test_escaped_br_from_the_ictrp_export_is_a_line_break() -> None:
    assert clean_block("a&#x0D;&lt;br&gt;b") == "a\nb"


def test_markdown_escapes_are_dropped() -> None:
    assert unescape_markdown(r"Age \>= 18 \[years\] 1,500/mm\^3") == "Age >= 18 [years] 1,500/mm^3"


def test_lists_are_cleaned_and_deduplicated() -> None:
    assert unique([" b ", "a", "b", "", None, "a "]) == ["b", "a"]
    assert unique_sorted(["France", "Spain ", "France"]) == ["France", "Spain"]


def test_parse_int() -> None:
    assert parse_int("1,210") == 1210
    assert parse_int(80) == 80
    assert parse_int("control group:50;sepsis group:50;") is None
    assert parse_int(True) is None


def test_finish_record_puts_every_contract_key_and_no_empty_strings() -> None:
    record = empty_record("NCT01234567", "ctgov", "ctgov")
    record.update(
        acronym="  ", countries=["Spain", "France", "Spain"], conditions=None, extra="kept"
    )
    done = finish_record(record)
    assert list(done)[: len(RECORD_KEYS)] == list(RECORD_KEYS)
    assert done["acronym"] is None
    assert done["conditions"] == []
    assert done["countries"] == ["France", "Spain"]
    assert done["extra"] == "kept"


def test_control_characters_are_dropped() -> None:
    assert clean_line("a\x00b\x07c") == "abc"
    assert clean_block("a\x00\nb") == "a\nb"


def test_the_typed_record_has_every_key_of_the_field_table() -> None:
    """``TrialRecord`` (what mypy checks the adapters' keys against), the field table (how
    each key is compared) and the contract's keys are one set."""
    from watcher.core.fields import FIELDS
    from watcher.core.model import RECORD_KEYS
    from watcher.core.record import TrialRecord

    assert set(TrialRecord.__annotations__) == set(FIELDS)
    assert set(RECORD_KEYS) <= set(TrialRecord.__annotations__)
