"""Parsers bend, never break: a value a parser does not understand keeps its text, with a
warning naming the trial, the field and why, and every other field and record is read."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.conftest import run_cli
from watcher.core.lenient import Notes, take_warnings

DATA = Path(__file__).parent / "data"
EXPORT = DATA / "ictrp" / "ictrp-export-2024-06-09-part-a.xml"


def _with_ethics(first: str, second: str) -> bytes:
    """The real export, its first two trials given ethics columns as ICTRP writes several
    committees (";"-joined, slot by slot)."""
    trials = EXPORT.read_text(encoding="utf-8").split("</Trial>")
    ethics = [
        f"<Ethics_review_status>Approved;Approved</Ethics_review_status>"
        f"<Ethics_review_approval_date>{first}</Ethics_review_approval_date>"
        "<Ethics_review_contact_name>METC Utrecht;CCMO</Ethics_review_contact_name>",
        f"<Ethics_review_approval_date>{second}</Ethics_review_approval_date>",
    ]
    for i, extra in enumerate(ethics):
        trials[i] += extra
    return "</Trial>".join(trials).encode()


def test_several_ethics_approvals_are_read_as_reviews(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(_with_ethics("01/03/2021;06/05/2021", "24/04/2019;24/04/2019"))
    result = run_cli(["parse", str(path), "--source", "ictrp"])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    records = orjson.loads(result.stdout)
    assert len(records) == 48
    first, second = records[0]["ethics_review"], records[1]["ethics_review"]
    assert first["approval_date"] == "2021-03-01"  # the earliest
    assert first["status"] == "Approved"
    assert first["reviews"] == [
        {"committee": "METC Utrecht", "status": "Approved", "approval_date": "2021-03-01"},
        {"committee": "CCMO", "status": "Approved", "approval_date": "2021-05-06"},
    ]
    assert second["approval_date"] == "2019-04-24"


def test_an_unreadable_value_is_kept_as_text_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(_with_ethics("sometime in spring", "31/02/2019"))
    result = run_cli(["parse", str(path), "--source", "ictrp"])
    assert result.returncode == 0, result.stderr
    records = orjson.loads(result.stdout)
    assert len(records) == 48
    ids = [r["trial_id"] for r in records[:2]]
    assert result.stderr.splitlines() == [
        f"Warning: {ids[0]}: ethics_review.approval_date: not a date: 'sometime in spring': "
        "kept as written",
        f"Warning: {ids[1]}: ethics_review.approval_date: not a valid date: '31/02/2019' "
        "(day is out of range for month): kept as written",
    ]
    assert records[0]["ethics_review"]["approval_date"] == "sometime in spring"
    assert records[1]["ethics_review"]["approval_date"] == "31/02/2019"
    assert "_warnings" not in records[0]
    # Everything else is read as from the real file.
    real = orjson.loads(run_cli(["parse", str(EXPORT), "--source", "ictrp"]).stdout)
    assert [{k: v for k, v in r.items() if k != "ethics_review"} for r in records] == [
        {k: v for k, v in r.items() if k != "ethics_review"} for r in real
    ]


def test_compare_warns_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(_with_ethics("01/03/2021;06/05/2021", "not yet"))
    result = run_cli(["compare", str(EXPORT), str(path), "--source", "ictrp", "--json"])
    assert result.returncode == 0, result.stderr
    assert ": ethics_review.approval_date: not a date: 'not yet'" in result.stderr
    changed = {c["trial_id"] for c in orjson.loads(result.stdout)["changed"]}
    assert len(changed) == 2


def test_notes_read_one_date_written_twice_and_keep_two_different_ones() -> None:
    notes = Notes()
    assert notes.date("d", "24/04/2019;24/04/2019") == "2019-04-24"
    assert notes.date("d", "01/03/2021;06/05/2021") == "01/03/2021;06/05/2021"
    assert notes.warnings == [
        ("d", "several dates in one value ('01/03/2021;06/05/2021'): kept as written")
    ]
    record = notes.attach({"trial_id": "NL-OMON55279"})
    assert [str(w) for w in take_warnings(record)] == [
        "NL-OMON55279: d: several dates in one value ('01/03/2021;06/05/2021'): kept as written"
    ]
    assert record == {"trial_id": "NL-OMON55279"}
