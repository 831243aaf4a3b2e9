"""ISRCTN: the API's WHO format (three real trials) and default format parse to their golden
records; several ethics reviews, and a nation listed with its parts, are read as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import settings_for
from tests.golden import check_golden
from watcher.core.lenient import take_warnings
from watcher.errors import InputError
from watcher.sources import get

DATA = Path(__file__).parent / "data" / "isrctn"
WHO = DATA / "isrctn_api_who_format_3trials.xml"
DEFAULT = DATA / "isrctn_api_query_default_colchicine_first-fullTrial_ISRCTN41823570_prefix.xml"
COUNT = DATA / "isrctn_api_count_default_totalCount4.xml"
ISRCTN = get("isrctn", settings_for("http://registry.test"))


def _parse(path: Path) -> list[dict[str, Any]]:
    records = ISRCTN.parse_file(path.read_bytes(), path.name)
    for record in records:
        assert take_warnings(record) == []
    return records


@pytest.mark.parametrize("path", [WHO, DEFAULT, COUNT], ids=lambda p: p.name)
def test_real_answers_parse_to_their_golden_records(path: Path, update_golden: bool) -> None:
    check_golden(path.with_name(path.name + ".expected.json"), _parse(path), update_golden)


def test_the_who_format() -> None:
    records = _parse(WHO)
    assert [r["trial_id"] for r in records] == [
        "ISRCTN13555554",
        "ISRCTN16053507",
        "ISRCTN64724266",
    ]
    first = records[0]
    assert first["countries"] == ["England", "Italy", "Spain", "United Kingdom"]
    ethics = first["ethics_review"]
    assert ethics["approval_date"] == "2026-03-23"  # the earliest of three reviews
    assert [(r["status"], r["approval_date"]) for r in ethics["reviews"]] == [
        ("Approved", "2026-03-23"),
        ("Approved", "2026-04-26"),
        ("Submitted", None),
    ]
    # The public and the scientific contact are one person.
    assert [(c["name"], c["role"]) for c in first["contacts"]] == [
        ("Sophie Thornton", "Public; Scientific")
    ]
    # ISRCTN's "Actual" enrolment is the number enrolled, not a plan.
    assert (first["target_sample_size"], first["actual_enrolment"]) == (None, 42)


def test_the_default_format_cut_short_gives_its_whole_trial() -> None:
    (record,) = _parse(DEFAULT)
    assert record["trial_id"] == "ISRCTN41823570"
    assert record["last_updated"] == "2026-07-27"
    assert record["target_sample_size"] == 440
    assert record["secondary_ids"] == ["IRAS1010119", "CPMS58327"]


def test_a_count_answer_holds_no_trial() -> None:
    assert _parse(COUNT) == []


def test_another_format_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an ISRCTN API answer"):
        ISRCTN.parse_file(b"<html></html>", "page.html")
