"""EUCTR's two formats, read into one shape: a member-state record as a list of entries.

The text download (``/ctr-search/rest/download/full``) holds every member-state record of the
trials asked for, one after another; the protocol page (``/ctr-search/trial/ID/CC``) holds one.
Both become ``EuctrRecord``: the summary block as a dict, and the sections as ordered
``Entry(code, label, value)`` with translations (``(es)`` labels) left out. Which entry feeds
which record field is ``euctr.py``'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import html as lxml_html

from watcher.errors import InputError
from watcher.sources.markup import parse_html


@dataclass(frozen=True, slots=True)
class Entry:
    code: str  # "E.5.1", "N.", "D.IMP"
    label: str  # "Primary end point(s)"
    value: str


@dataclass
class EuctrRecord:
    summary: dict[str, str] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    results_link: bool = False

    def first(self, code: str, label: str | None = None) -> str | None:
        """The value of the first entry ``code`` (with exactly ``label``, when given)."""
        for entry in self.entries:
            if entry.code == code and (label is None or entry.label == label):
                return entry.value or None
        return None

    def all(self, code: str, label: str | None = None) -> list[str]:
        return [
            e.value
            for e in self.entries
            if e.code == code and (label is None or e.label == label) and e.value
        ]

    def blocks(self, code: str) -> list[list[Entry]]:
        """The entries from each ``code`` entry to the next one (``D.IMP``: one IMP each),
        stopping at the next section letter."""
        out: list[list[Entry]] = []
        for entry in self.entries:
            if entry.code == code:
                out.append([entry])
            elif out and entry.code[:1] == code[:1] and not entry.code.endswith("."):
                out[-1].append(entry)
            elif out and entry.code[:1] != code[:1]:
                break
        return out


# "A.3.1 Title ...: value", "B.1.3.4\tCountry: UK", "D.1.2 and D.1.3 IMP Role: Test",
# "D.3.8 to D.3.10 IMP ...", "N. Date of ...: 2023-05-18", "D.IMP: 1", "D.8 Placebo: 1".
_ENTRY = re.compile(
    r"^(?P<code>[A-Z]\.(?:IMP|\d+(?:\.\d+)*)?(?:\s+(?:and|to)\s+[A-Z]\.[\d.]+)?)"
    r"(?:[ \t]+(?P<label>[^\n]*?))?(?::[ \t]?(?P<value>.*))?$"
)
_TRANSLATED = re.compile(r"\s\([a-z]{2}\)$")
_SUMMARY_KEYS = (
    "EudraCT Number",
    "Sponsor's Protocol Code Number",
    "National Competent Authority",
    "Clinical Trial Type",
    "Trial Status",
    "Date on which this record was first entered in the EudraCT database",
    "Link",
)
# Lines that head a block and carry no value of their own: EUCTR's section titles exactly, so
# that a lettered list inside a value ("A. Patients aged 18...") stays part of the value.
_HEADINGS = re.compile(
    r"^(?:[A-HNP]\. (?:Protocol Information|Sponsor Information|Applicant Identification|"
    r"IMP Identification|General Information on the Trial|Population of Trial Subjects|"
    r"Investigator Networks to be involved in the Trial|Review by the Competent Authority or "
    r"Ethics Committee in the country concerned|End of Trial)|Sponsor \d+|"
    r"MedDRA Classification|Summary)\s*$",
    re.IGNORECASE,
)


def _entry(line: str) -> Entry | None:
    m = _ENTRY.match(line)
    if m is None or (m["label"] is None and m["value"] is None):
        return None
    if len(m["code"]) == 2 and not (m["code"] in ("N.", "P.") and m["value"] is not None):
        return None  # "B. cereus ..." in a value; only N. and P. have entries of one letter
    label = (m["label"] or "").strip().rstrip(":").strip()
    return Entry(m["code"].replace("\t", " "), label, (m["value"] or "").strip())


def split_download(text: str, source: str) -> list[EuctrRecord]:
    """Every member-state record of a text download, in the file's order."""
    lines = text.replace("\r\n", "\n").split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == "Summary"]
    if not starts:
        raise InputError(source, "not an EUCTR text download (no 'Summary' block)")
    records = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        records.append(_read_text_record(lines[start + 1 : end]))
    return records


def _read_text_record(lines: list[str]) -> EuctrRecord:
    record = EuctrRecord()
    i = 0
    # The summary: "Key: value" lines up to the first blank line.
    while i < len(lines) and lines[i].strip():
        key, _, value = lines[i].partition(":")
        if key.strip() in _SUMMARY_KEYS:
            record.summary[key.strip()] = value.strip()
        elif key.strip() == "Trial results":
            record.results_link = bool(value.strip())
        i += 1
    # Sections: an entry's value goes on over the following lines that start no entry
    # (criteria, end points, lists of regions); a translated entry's lines are dropped with it.
    value_lines: list[str] | None = None
    for line in lines[i:]:
        stripped = line.rstrip()
        entry = _entry(stripped) if stripped else None
        if entry is not None:
            if _TRANSLATED.search(entry.label):
                value_lines = None
                continue
            record.entries.append(entry)
            value_lines = [entry.value] if entry.value else []
        elif _HEADINGS.match(stripped):
            value_lines = None
        elif value_lines is not None:
            value_lines.append(stripped)
            last = record.entries[-1]
            value = "\n".join(value_lines).strip("\n")
            record.entries[-1] = Entry(last.code, last.label, value)
    return record


def read_protocol_page(data: bytes, source: str) -> EuctrRecord:
    """The member-state record of one protocol page (``/ctr-search/trial/ID/CC``)."""
    try:
        doc = parse_html(data)
    except (ValueError, SyntaxError):
        raise InputError(source, "not an EUCTR protocol page (not HTML)") from None
    record = EuctrRecord()
    for row in doc.xpath('//td[contains(@class, "cellGrey")]/..'):
        cells = row.xpath("./td")
        if len(cells) < 2:
            continue
        key = _cell_text(cells[0]).rstrip(":").strip()
        if key in _SUMMARY_KEYS:
            record.summary[key] = _cell_text(cells[1])
        elif key == "Trial results":
            record.results_link = bool(cells[1].xpath(".//a"))
    # Section rows in page order: three-cell entries, and the one-cell block markers
    # ("D.IMP: 1", "D.8 Placebo: 1") that start each IMP or placebo.
    for row in doc.xpath('//tr[contains(@class, "tricell")] | //tr[td[@class="cellBlue"]]'):
        cells = row.xpath("./td")
        if len(cells) == 1:
            marker = _entry(_cell_text(cells[0]))
            if marker is not None:
                record.entries.append(marker)
            continue
        if len(cells) < 3:
            continue
        code = _cell_text(cells[0]).strip()
        if not code:
            continue  # an entry without its section code cannot be placed
        label = _cell_text(cells[1]).rstrip(":").strip()
        if _TRANSLATED.search(label):
            continue
        record.entries.append(Entry(code, label, _cell_text(cells[2])))
    if "EudraCT Number" not in record.summary:
        raise InputError(source, "not an EUCTR protocol page (no summary with an EudraCT Number)")
    return record


def _cell_text(cell: lxml_html.HtmlElement) -> str:
    for br in cell.xpath(".//br"):
        br.tail = "\n" + (br.tail or "")
    text = cell.text_content().replace("\r", "")
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(lines).strip()
