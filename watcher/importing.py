"""Trial IDs from a user's list: a text file (one ID a line), a CSV/TSV table, or an ICTRP
XML export (every ``<TrialID>`` in it).

Reads files, validates every ID, and fails naming the file and line: an import is all or nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lxml import etree

from watcher.core.ids import TrialId, parse_trial_id
from watcher.errors import InputError, InvalidTrialId
from watcher.inputs import read_input

# Header names (lower case, spaces and underscores removed) of an ID column.
_ID_COLUMNS = ("trialid", "id", "mainid", "nctid", "nctnumber", "trial", "registrationnumber")


def _read_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _parse(text: str, source: str, line: int) -> TrialId:
    try:
        return parse_trial_id(text)
    except InvalidTrialId as e:
        raise InputError(source, str(e), line) from None


def read_trial_ids(path: str | Path) -> list[TrialId]:
    """Every trial ID in the file, first occurrence kept, in the file's order."""
    path = Path(path)
    data = read_input(path)
    text = _read_text(data)
    if text.lstrip().startswith("<"):
        found = _from_ictrp_export(data, str(path))
    elif path.suffix.lower() in (".csv", ".tsv"):
        found = _from_table(text, str(path))
    else:
        found = _from_lines(text, str(path))
    seen: set[str] = set()
    unique = []
    for tid in found:
        if tid.value not in seen:
            seen.add(tid.value)
            unique.append(tid)
    if not unique:
        raise InputError(str(path), "no trial IDs in it")
    return unique


def _from_ictrp_export(data: bytes, source: str) -> list[TrialId]:
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError as e:
        raise InputError(source, f"not well-formed XML ({e})", e.lineno) from None
    if etree.QName(root).localname != "Trials_downloaded_from_ICTRP":
        raise InputError(
            source, "an XML file that is not an ICTRP export (no <Trials_downloaded_from_ICTRP>)"
        )
    out = []
    for element in root.iter("TrialID"):
        out.append(_parse(element.text or "", source, element.sourceline))
    return out


def _from_lines(text: str, source: str) -> list[TrialId]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        out.append(_parse(value.replace(",", " ").split()[0], source, number))
    return out


def _from_table(text: str, source: str) -> list[TrialId]:
    # The header line tells the delimiter; sniffing the body is fooled by quoted fields
    # that hold line breaks and punctuation (ICTRP's CSV downloads).
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [(reader.line_num, row) for row in reader]
    if not rows:
        return []
    column = 0
    _, header = rows[0]
    names = [h.strip().lower().replace(" ", "").replace("_", "") for h in header]
    start = 0
    if (header and not _looks_like_id(header[0])) or any(n in _ID_COLUMNS for n in names):
        start = 1  # a header row
        for wanted in _ID_COLUMNS:
            if wanted in names:
                column = names.index(wanted)
                break
    out = []
    for line, row in rows[start:]:
        if not any(cell.strip() for cell in row):
            continue
        if column >= len(row) or not row[column].strip():
            raise InputError(source, f"no trial ID in column {column + 1}", line)
        out.append(_parse(row[column], source, line))
    return out


def _looks_like_id(text: str) -> bool:
    try:
        parse_trial_id(text)
    except InvalidTrialId:
        return False
    return True
