"""Registry-agnostic normalization helpers: text, dates, lists, and the record's final shape.

Pure: does not interact with any dependencies, only processes data. Every adapter ends with
``finish_record`` so that whitespace, entities, empty values and list order never make a change.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from watcher.core.model import LIST_KEYS, RECORD_KEYS, Record

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK = re.compile(r"</?(?:p|ol|ul|div)(?:\s[^<>]*)?>|</li>", re.IGNORECASE)
_ITEM = re.compile(r"\s*<li(?:\s[^<>]*)?>", re.IGNORECASE)
_INLINE = re.compile(r"</?(?:b|i|u|em|strong|span|sup|sub|a)(?:\s[^<>]*)?>", re.IGNORECASE)
# Control characters carry no meaning in a record, and PostgreSQL's JSONB refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_ENDS = re.compile(r"[\r\n]+")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_ANY_SPACE = re.compile(r"\s+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
# CommonMark lets a backslash escape any ASCII punctuation.
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _decode(text: str) -> str:
    # Entities first: registers escape their own <br> tags as &lt;br&gt;.
    text = html.unescape(html.unescape(text)) if "&" in text else text
    if _BLOCK.search(text):
        # Paragraphs and lists (CT.gov's history pages keep criteria as HTML): as a browser
        # shows them, one line each, a list item as "* ".
        text = _LINE_ENDS.sub(" ", text)
        text = _ITEM.sub("\n* ", _BLOCK.sub("\n", text))
        text = _BR.sub("\n", _INLINE.sub("", text))
        return _CONTROL.sub("", text)
    if _BR.search(text):
        # Markup: as in a browser, only <br> breaks a line; the source's CR and LF beside it
        # (ICTRP writes "\r<br>") are spaces.
        text = _BR.sub("\n", _LINE_ENDS.sub(" ", text))
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def as_text(value: Any) -> str | None:
    """A register's value as text, whatever JSON type it came as: a register that starts
    sending a number, a list or an object where it sent text (CTIS's ``ctStatus`` became a
    number in 2026) is read, never a crash: items joined with "; ", an object's values too."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        parts = [t for t in (as_text(v) for v in value) if t and t.strip()]
        return "; ".join(parts) or None
    return str(value)


def clean_line(text: Any) -> str | None:
    """One-line text: entities decoded, every whitespace run collapsed to one space."""
    text = as_text(text)
    if text is None:
        return None
    value = _ANY_SPACE.sub(" ", _decode(text)).strip()
    return value or None


def clean_block(text: Any) -> str | None:
    """Multi-line text: line breaks kept as ``\\n``, indentation kept, trailing blanks and
    runs of blank lines folded, so that reflowed whitespace is no change."""
    text = as_text(text)
    if text is None:
        return None
    lines = []
    for raw in _decode(text).split("\n"):
        stripped = raw.rstrip()
        indent = len(stripped) - len(stripped.lstrip())
        lines.append(stripped[:indent].replace("\t", "  ") + _SPACES.sub(" ", stripped[indent:]))
    # The indentation all lines share is layout (ICTRP indents whole criteria by 8 spaces);
    # what one line has more than the others (a nested bullet) is kept.
    value = textwrap.dedent(_MANY_NEWLINES.sub("\n\n", "\n".join(lines))).strip("\n")
    return value if value.strip() else None


def unescape_markdown(text: Any) -> str | None:
    r"""CT.gov escapes markdown punctuation in free text (``\>=``, ``\[``); drop the escapes."""
    text = as_text(text)
    if text is None:
        return None
    return _MD_ESCAPE.sub(r"\1", text)


def unique(items: Iterable[str | None], *, multiline: bool = False) -> list[str]:
    """Cleaned, non-empty items, first occurrence kept, in the source's order; ``multiline``
    keeps each item's line breaks (an outcome with its time frame)."""
    seen: set[str] = set()
    out: list[str] = []
    clean = clean_block if multiline else clean_line
    for item in items:
        value = clean(item)
        if value is not None and value not in seen:
            seen.add(value)
            out.append(value)
    return out


def unique_sorted(items: Iterable[str | None]) -> list[str]:
    return sorted(unique(items))


_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[T ].*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR_FIRST_SLASHED = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?: .*)?")
_SLASHED = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?: .*)?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]+)\.?,? (\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})")
_MONTH_YEAR = re.compile(r"([A-Za-z]+)\.?,? (\d{4})")


def _ymd(year: int, month: int, day: int | None) -> str:
    if day is None:
        date(year, month, 1)  # validates the month
        return f"{year:04d}-{month:02d}"
    return date(year, month, day).isoformat()


def _month(name: str) -> int:
    try:
        return _MONTHS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown month {name!r}") from None


def iso_date(text: str | date | None, *, dayfirst: bool = True) -> str | None:
    """A date as ISO 8601 (``YYYY-MM-DD``, or ``YYYY-MM`` where only the month is known).

    ``dayfirst`` reads ``01/02/2020`` as 1 February (ICTRP's ``Date_registration``); registers
    that write month first say so. Empty input gives ``None``; unreadable input raises
    ``ValueError`` naming it, so that a changed format is noticed instead of dropped.
    """
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date().isoformat()
    if isinstance(text, date):
        return text.isoformat()
    value = clean_line(text)
    if value is None:
        return None
    try:
        if m := _ISO.fullmatch(value):
            return _ymd(int(m[1]), int(m[2]), int(m[3]) if m[3] else None)
        if m := _COMPACT.fullmatch(value):
            return _ymd(int(m[1]), int(m[2]), int(m[3]))
        if m := _YEAR_FIRST_SLASHED.fullmatch(value):
            return _ymd(int(m[1]), int(m[2]), int(m[3]))
        if m := _SLASHED.fullmatch(value):
            a, b = int(m[1]), int(m[2])
            day, month = (a, b) if dayfirst else (b, a)
            return _ymd(int(m[3]), month, day)
        if m := _DAY_MONTH_YEAR.fullmatch(value):
            return _ymd(int(m[3]), _month(m[2]), int(m[1]))
        if m := _MONTH_DAY_YEAR.fullmatch(value):
            return _ymd(int(m[3]), _month(m[1]), int(m[2]))
        if m := _MONTH_YEAR.fullmatch(value):
            return _ymd(int(m[2]), _month(m[1]), None)
    except ValueError as e:
        raise ValueError(f"not a valid date: {value!r} ({e})") from None
    raise ValueError(f"not a date: {value!r}")


def as_date(text: str | None, *, month_end: bool = False) -> date | None:
    """An ISO date of a record (``YYYY-MM-DD`` or ``YYYY-MM``) as a ``date``; None when empty
    or unreadable. A month alone is its first day, or with ``month_end`` its last (the
    latest it can mean, as a deadline is read)."""
    if not text:
        return None
    try:
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 3:
            return date(parts[0], parts[1], parts[2])
        if len(parts) != 2:
            return None
        if not month_end:
            return date(parts[0], parts[1], 1)
        return date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1) - timedelta(days=1)
    except ValueError:
        return None


def parse_int(text: Any) -> int | None:
    """A plain whole number (``"1,210"``, ``1210``) or ``None`` when the text is no plain
    number, or one no register could mean (10^30)."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if abs(text) < _LARGEST_INT else None
    value = clean_line(str(text))
    if value is None:
        return None
    digits = value.replace(",", "").replace(" ", "")
    return int(digits) if digits.isdigit() and int(digits) < _LARGEST_INT else None


# No count a register gives comes near this; past it a number is text (and JSON's 64 bits,
# which the hashing's orjson refuses beyond, are never reached).
_LARGEST_INT = 10**15


def _empty_to_none(value: Any) -> Any:
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, dict):
        return {k: _empty_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_empty_to_none(v) for v in value]
    return value


def finish_record(record: Record) -> Record:
    """The record's final shape: contract keys first and all present, empty strings as
    ``None``, list keys as lists, countries unique and sorted."""
    out: Record = {}
    for key in RECORD_KEYS:
        value = _empty_to_none(record.get(key))
        if key in LIST_KEYS and value is None:
            value = []
        out[key] = value
    for key, value in record.items():
        if key not in out:
            out[key] = _empty_to_none(value)
    out["countries"] = unique_sorted(out["countries"])
    return out
