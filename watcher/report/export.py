"""A trial's whole change log for filing (the trial master file): one row per change, with its
version, when it was found, the field, old and new values, significance, and its review.

Rows are built here from the stored versions (pure); CSV is written for spreadsheets (UTF-8
with a byte-order mark, one header row), HTML through ``templates/export.html.j2`` as one
self-contained page that prints on A4.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import pairwise

from watcher.config import Settings
from watcher.core.diff import diff_records
from watcher.core.display import plain, shown, when
from watcher.core.fields import DiffRules
from watcher.core.model import Version

HEADER = (
    "trial",
    "title",
    "version",
    "found at",
    "field",
    "old",
    "new",
    "significance",
    "reviewed by",
    "reviewed at",
    "review note",
)


@dataclass(frozen=True, slots=True)
class ExportRow:
    trial_id: str
    title: str
    version: int
    found_at: datetime
    field: str
    old: str
    new: str
    significance: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None

    def cells(self, zone: tzinfo | None = None) -> list[str]:
        """The row as text, its times in ``zone`` (the office's; UTC when none)."""
        return [
            self.trial_id,
            self.title,
            str(self.version),
            when(self.found_at, zone),
            self.field,
            self.old,
            self.new,
            self.significance,
            self.reviewed_by or "",
            when(self.reviewed_at, zone) if self.reviewed_at else "",
            self.review_note or "",
        ]


def change_rows(versions: Sequence[Version], rules: DiffRules, title: str = "") -> list[ExportRow]:
    """Every change of a trial's history, version by version, oldest first, each row naming
    the trial (its ID, and ``title``: how the office knows it)."""
    rows = []
    for before, after in pairwise(versions):
        for c in diff_records(before.record, after.record, rules):
            new = shown(plain(c.field, c.new))
            if c.field == "recruitment_status" and (why := after.record.get("why_stopped")):
                new += f"; the register's reason: {shown(why)}"  # as alerts and pages say it
            rows.append(
                ExportRow(
                    after.trial_id,
                    title,
                    after.version,
                    after.fetched_at,
                    c.label,
                    shown(plain(c.field, c.old)),
                    new,
                    c.significance,
                    after.reviewed_by,
                    after.reviewed_at,
                    after.review_note,
                )
            )
    return rows


def to_csv(rows: Sequence[ExportRow], zone: tzinfo | None = None) -> str:
    """The rows as CSV that a spreadsheet opens right: UTF-8 with a BOM, CRLF line ends;
    times in ``zone``, each with its zone's abbreviation."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([_inert(cell) for cell in row.cells(zone)] for row in rows)
    return "\ufeff" + out.getvalue()


# What a spreadsheet runs as a formula when a cell starts with it (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: str) -> str:
    """A register's text as a cell a spreadsheet shows and never runs: one that would start a
    formula gets a leading apostrophe (OWASP's advice), which spreadsheets do not show."""
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def to_html(
    rows: Sequence[ExportRow],
    trial_id: str,
    name: str | None,
    url: str | None,
    settings: Settings,
    now: datetime,
) -> str:
    """The rows as one self-contained page that prints on A4 without cut columns."""
    from watcher import __version__
    from watcher.report.render import environment

    return (
        environment(settings)
        .get_template("export.html.j2")
        .render(
            title=f"Change log of {trial_id}",
            trial_id=trial_id,
            name=name,
            url=url,
            rows=rows,
            # Several records in one file (a whole EUCTR trial): each row names its own.
            several=len({r.trial_id for r in rows}) > 1,
            generated_at=now,
            version=__version__,
        )
    )
