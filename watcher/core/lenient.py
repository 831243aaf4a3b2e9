"""Reading a register's values the forgiving way: a value a parser does not understand is kept
as its text, with a warning naming the field and why, and the rest of the record (and of the
file) is read as usual.

Pure: does not interact with any dependencies, only processes data. An adapter reads its dates
through a ``Notes`` of the record and hands it to ``finish_record``; the warnings travel with
the record under ``WARNINGS`` until the caller takes them (``take_warnings``), so that they are
never hashed, stored or compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from watcher.core.model import Record
from watcher.core.normalize import as_text, clean_line, iso_date

WARNINGS = "_warnings"
# More participants than any trial has had (the largest enrol a few hundred thousand).
LARGEST_COUNT = 10**9
# Several values in one cell: ICTRP joins them with ";" (two ethics committees' dates).
_SEVERAL = re.compile(r"\s*;\s*")


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """A value kept as text: in which record, which field, and why."""

    trial_id: str
    field: str
    why: str

    def __str__(self) -> str:
        return f"{self.trial_id}: {self.field}: {self.why}"


@dataclass
class Notes:
    """What one record's parser could not read."""

    warnings: list[tuple[str, str]] = field(default_factory=list)

    def warn(self, name: str, why: str) -> None:
        if (name, why) not in self.warnings:
            self.warnings.append((name, why))

    def count(self, name: str, value: Any) -> int | str | None:
        """A count of participants: a whole number below a billion; anything else (10^30,
        12.5, "about 40") kept as its text, with a warning, never read as no number."""
        if value is None or isinstance(value, bool) or value == "":
            return None
        if isinstance(value, float) and value.is_integer() and 0 <= value < LARGEST_COUNT:
            value = int(value)  # a streamed page reads every number as a float
        if isinstance(value, int) and 0 <= value < LARGEST_COUNT:
            return value
        text = as_text(value) or repr(value)
        self.warn(name, f"{text[:40]!r} is no count of participants: kept as written")
        return text

    def date(self, name: str, text: Any, *, dayfirst: bool = True) -> str | None:
        """An ISO date; one date written several times (``24/04/2019;24/04/2019``) is that
        date; anything else unreadable is kept as its text, with a warning."""
        dates = self.dates(name, text, dayfirst=dayfirst)
        if len(set(dates)) <= 1:
            return dates[0] if dates else None
        self.warn(name, f"several dates in one value ({text!r}): kept as written")
        return clean_line(str(text))

    def dates(self, name: str, text: Any, *, dayfirst: bool = True) -> list[str]:
        """Every date of a value that may hold several (``01/03/2021;06/05/2021``), each ISO,
        or kept as its text with a warning."""
        if text is None or isinstance(text, bool) or text == [] or text == {}:
            return []
        if isinstance(text, list | tuple | dict):
            text = as_text(text) or ""  # several values where one was: read each
        elif not isinstance(text, str):
            try:
                value = iso_date(text, dayfirst=dayfirst)
            except (ValueError, TypeError):
                # A number where a date was: its text, with a warning.
                value = as_text(text)
                self.warn(name, f"not a date ({text!r}): kept as text")
            return [value] if value else []
        out = []
        for part in _SEVERAL.split(text):
            try:
                value = iso_date(part, dayfirst=dayfirst)
            except ValueError as e:
                self.warn(name, f"{e}: kept as written")
                value = clean_line(part)
            if value:
                out.append(value)
        return out

    def attach(self, record: Record) -> Record:
        """The record with its warnings under ``WARNINGS`` (none: the record as it is)."""
        if self.warnings:
            record[WARNINGS] = [{"field": f, "why": why} for f, why in self.warnings]
        return record


def take_warnings(record: Record) -> list[ParseWarning]:
    """Remove a record's warnings from it and return them."""
    given = record.pop(WARNINGS, None) or []
    tid = str(record.get("trial_id") or "?")
    return [ParseWarning(tid, w["field"], w["why"]) for w in given]
