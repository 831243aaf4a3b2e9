"""The change log filed in the trial master file: each row names its trial, and no register
text ever runs as a spreadsheet formula (OWASP, "CSV Injection")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from watcher.report.export import HEADER, ExportRow, to_csv

AT = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("https://evil.example","Click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_a_cell_that_would_start_a_formula_is_kept_as_text(text: str) -> None:
    row = ExportRow(
        "NCT04267848", text, 2, AT, "Public title", text, "Accio", "minor", None, None, None
    )
    cells = next(
        r
        for r in csv.reader(io.StringIO(to_csv([row]).removeprefix("\ufeff"), newline=""))
        if r != list(HEADER)
    )
    # As a spreadsheet reads it: the apostrophe makes the cell text, and it is not shown.
    assert cells[1] == cells[5] == f"'{text}"
    assert cells[0] == "NCT04267848" and cells[6] == "Accio"


def test_ordinary_text_and_numbers_are_written_as_they_are() -> None:
    row = ExportRow(
        "NCT04267848",
        "Accio",
        2,
        AT,
        "Target sample size",
        "1210",
        "800",
        "major",
        None,
        None,
        None,
    )
    assert "NCT04267848,Accio,2," in to_csv([row])
