"""WHO ICTRP's formats, each read into one shape: a row of the XML export's columns.

- the XML export (``<Trials_downloaded_from_ICTRP>``, "Export results to XML"),
- the CSV download (WHO's COVID-19 files; the same columns with spaces for underscores),
- the trial page (``Trial2.aspx?TrialID=...``), as HTML or as the text a browser shows, read
  by its visible labels ("Main ID:", "Last refreshed on:") rather than by generated element IDs,
- the web service (``TrialService.asmx/GetTrialDetails``), a .NET DataSet diffgram.

A row maps lower-case column names (``trialid``, ``last_refreshed_on``...) to text, or to a list
where the format itself gives items (the page's lines, the service's child rows); ``contacts``
is a list of dicts. ``ictrp.py`` turns a row into a record.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from lxml import etree

from watcher.errors import InputError
from watcher.registries.markup import parse_html

Row = dict[str, Any]


def column_key(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip().lower())


# -- format detection -----------------------------------------------------------------------


def detect(data: bytes) -> str | None:
    """``xml-export``, ``web-service``, ``csv``, ``page-html``, ``page-text``, or None."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    low = head.lower()
    if b"<trials_downloaded_from_ictrp" in low:
        return "xml-export"
    if b"<dataset" in low and b"who.int" in low:
        return "web-service"
    if low.startswith(b"<!doctype") or b"<html" in low:
        return "page-html"
    first_line = head.split(b"\n", 1)[0]
    if first_line.lower().startswith((b"trialid,", b"trialid;", b'"trialid"')):
        return "csv"
    if re.search(rb"^Main ID:", data[:20000], re.MULTILINE):
        return "page-text"
    return None


# -- XML export and CSV download ------------------------------------------------------------


def read_export(data: bytes, source: str) -> list[Row]:
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError as e:
        raise InputError(source, f"not well-formed XML ({e})") from None
    if etree.QName(root).localname != "Trials_downloaded_from_ICTRP":
        raise InputError(source, "not an ICTRP XML export (no <Trials_downloaded_from_ICTRP>)")
    rows = []
    for trial in root:
        if not isinstance(trial.tag, str) or etree.QName(trial).localname != "Trial":
            continue
        rows.append(
            {
                column_key(etree.QName(child).localname): child.text or ""
                for child in trial
                if isinstance(child.tag, str)
            }
        )
    return rows


def read_csv(data: bytes, source: str) -> list[Row]:
    text = data.decode("utf-8-sig", errors="replace")
    # Quoted fields hold CR and CRLF line breaks: the csv module keeps them with newline="".
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(source, "an empty CSV file") from None
    keys = [column_key(h) for h in header]
    if "trialid" not in keys:
        raise InputError(source, "not an ICTRP CSV download (no TrialID column)")
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(keys):
            raise InputError(
                source, f"{len(values)} columns where the header has {len(keys)}", reader.line_num
            )
        rows.append(dict(zip(keys, values, strict=True)))
    return rows


# -- the trial page -------------------------------------------------------------------------

_BLOCK_TAGS = {
    "tr",
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tbody",
    "dt",
    "dd",
    "section",
    "article",
    "header",
    "footer",
    "ul",
    "ol",
}


def page_text(data: bytes) -> str:
    """The text of a trial page as a browser lays it out: blocks and ``<br>`` break lines,
    table cells of one row stay on one line."""
    doc = parse_html(data)
    for bad in doc.xpath("//script | //style | //noscript"):
        bad.drop_tree()
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        # The source's indentation between blocks and cells is no text a browser shows.
        if el.tag in _BLOCK_TAGS or el.tag in ("td", "th"):
            if el.tail is not None and not el.tail.strip():
                el.tail = ""
            if el.text is not None and not el.text.strip() and len(el):
                el.text = ""
        if el.tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif el.tag in _BLOCK_TAGS:
            # A line break after each block, none before: one row is one line, and an empty
            # row stays the blank line it shows as.
            el.tail = "\n" + (el.tail or "")
        elif el.tag in ("td", "th"):
            el.tail = " " + (el.tail or "")
    text: str = doc.text_content()
    return "\n".join(line.strip() for line in text.replace("\r", "").split("\n"))


# The page's labels in its order; the value follows the colon and may go on over the next
# lines (study design, criteria) until the next label.
_HEADER_LABELS = {
    "Register": "source_register",
    "Last refreshed on": "last_refreshed_on",
    "Main ID": "trialid",
    "Date of registration": "date_registration",
    "Prospective Registration": "prospective_registration",
    "Primary sponsor": "primary_sponsor",
    "Public title": "public_title",
    "Scientific title": "scientific_title",
    "Acronym": "acronym",
    "Date of first enrolment": "date_enrollement",
    "Target sample size": "target_size",
    "Recruitment status": "recruitment_status",
    "URL": "web_address",
    "Study type": "study_type",
    "Study design": "study_design",
    "Phase": "phase",
}
_CRITERIA_LABELS = {
    "Inclusion criteria": "inclusion_criteria",
    "Exclusion criteria": "exclusion_criteria",
    "Age minimum": "inclusion_agemin",
    "Age maximum": "inclusion_agemax",
    "Gender": "inclusion_gender",
}
_CONTACT_LABELS = {
    "Name": "name",
    "Address": "address",
    "Telephone": "phone",
    "Email": "email",
    "Affiliation": "affiliation",
}
_RESULTS_LABELS = {
    "Results available": "results_yes_no",
    "Date Posted": "results_date_posted",
    "Date Completed": "results_date_completed",
    "URL": "results_url_link",
}
_ETHICS_LABELS = {
    "Status": "ethics_review_status",
    "Approval date": "ethics_review_approval_date",
    "Contact": "ethics_review_contact_name",
}
# Section headings and the column their lines (one item each) feed.
_SECTIONS = {
    "Countries of recruitment": "countries",
    "Contacts": "contacts",
    "Key inclusion & exclusion criteria": "criteria",
    "Health Condition(s) or Problem(s) studied": "condition",
    "Intervention(s)": "intervention",
    "Primary Outcome(s)": "primary_outcome",
    "Secondary Outcome(s)": "secondary_outcome",
    "Secondary ID(s)": "secondary_id",
    "Source(s) of Monetary Support": "source_support",
    "Secondary Sponsor(s)": "secondary_sponsor",
    "Ethics review": "ethics",
    "Results": "results",
}
# Labels that start an item of their own inside an outcome section (EUCTR records).
OUTCOME_LABELS = (
    "Main Objective",
    "Secondary Objective",
    "Primary end point(s)",
    "Secondary end point(s)",
    "Timepoint(s) of evaluation of this end point",
)
REQUIRED_PAGE_LABELS = ("Main ID", "Last refreshed on")


def _label_re(labels: dict[str, str] | tuple[str, ...]) -> re.Pattern[str]:
    names = sorted(labels, key=len, reverse=True)
    return re.compile(r"^(" + "|".join(re.escape(n) for n in names) + r"):\s*(.*)$")


_HEADER_RE = _label_re(_HEADER_LABELS)
_CRITERIA_RE = _label_re(_CRITERIA_LABELS)
_CONTACT_RE = _label_re(_CONTACT_LABELS)
_RESULTS_RE = _label_re(_RESULTS_LABELS)
_ETHICS_RE = _label_re(_ETHICS_LABELS)
# Whether an item (one line, or several already joined) starts with an outcome label.
_OUTCOME_START = re.compile("(?:" + "|".join(re.escape(n) for n in OUTCOME_LABELS) + "):")


def read_page_text(text: str, source: str) -> Row:
    """A trial page's text (as a browser shows it) as a row; ``InputError`` naming the labels
    it lacks when it is not a trial record (a "not found" or error page)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    row: Row = {"contacts": []}
    section: str | None = None
    key: str | None = None  # the labelled value that continuation lines extend
    items: list[str] = []
    contact: dict[str, str] = {}

    def extend(k: str, line: str) -> None:
        row[k] = f"{row[k]}\n{line}" if row.get(k) else line

    for raw in lines:
        line = raw.strip()
        if line.startswith(("Disclaimer:", "Copyright - World Health Organization")):
            break
        if line in _SECTIONS:
            section, key = _SECTIONS[line], None
            if section not in ("contacts", "criteria", "ethics", "results"):
                items = row.setdefault(section, [])
            continue
        if section is None:
            if m := _HEADER_RE.match(line):
                key = _HEADER_LABELS[m[1]]
                row[key] = m[2]
            elif key is not None:
                extend(key, line)
            continue
        if section == "contacts":
            if m := _CONTACT_RE.match(line):
                field = _CONTACT_LABELS[m[1]]
                if field == "name" and contact:
                    row["contacts"].append(contact)
                    contact = {}
                contact[field] = m[2].strip()
            continue
        labelled = {
            "criteria": (_CRITERIA_RE, _CRITERIA_LABELS),
            "results": (_RESULTS_RE, _RESULTS_LABELS),
            "ethics": (_ETHICS_RE, _ETHICS_LABELS),
        }.get(section)
        if labelled is not None:
            pattern, names = labelled
            if m := pattern.match(line):
                key = names[m[1]]
                row[key] = m[2]
            elif key is not None:
                extend(key, line)
            continue
        _page_item(items, line, section)
    if contact:
        row["contacts"].append(contact)
    missing = [label for label in REQUIRED_PAGE_LABELS if not row.get(_HEADER_LABELS[label])]
    if missing:
        raise InputError(
            source,
            "not an ICTRP trial record: no "
            + " and no ".join(f"'{m}:'" for m in missing)
            + " (a 'not found' or error page?)",
        )
    return row


def _page_item(items: list[str], line: str, section: str) -> None:
    """One line of a list section: a new item, or the rest of the item it continues."""
    if section in ("primary_outcome", "secondary_outcome"):
        if _OUTCOME_START.match(line) or not items or not _OUTCOME_START.match(items[-1]):
            if line:
                items.append(line)
        else:
            items[-1] += "\n" + line
        return
    if section == "intervention":
        # An EUCTR product is a block of "Key: value" lines; a blank line ends it.
        if not line:
            items.append("")
        elif items and items[-1] and items[-1].startswith("Product Name:"):
            items[-1] += "\n" + line
        elif items and items[-1] == "":
            items[-1] = line
        else:
            items.append(line)
        return
    if line:
        items.append(line)


def read_page(data: bytes, source: str) -> Row:
    return read_page_text(page_text(data), source)


# -- the web service ------------------------------------------------------------------------

_WS_TRIAL = {
    "TrialID": "trialid",
    "Primary_Register_text": "source_register",
    "last_updated": "last_refreshed_on",
    "Date_registration2": "date_registration",
    "Primary_sponsor": "primary_sponsor",
    "Public_title": "public_title",
    "Scientific_title": "scientific_title",
    "Acronym": "acronym",
    "Date_enrollement": "date_enrollement",
    "Target_size": "target_size",
    "Recruitment_status2": "recruitment_status",
    "URL": "web_address",
    "Study_type": "study_type",
    "Study_design": "study_design",
    "Phase": "phase",
}
# Child tables: (table, field) -> the row's list column.
_WS_LISTS = {
    ("Country", "CountryName"): "countries",
    ("Health_condition", "Condition_FreeText"): "condition",
    ("Intervention", "Intervention_FreeText"): "intervention",
    ("Secondary_IDs", "SecondaryID"): "secondary_id",
    ("Source_support", "Source_Name"): "source_support",
    ("Secondary_Sponsors", "Secondary_Sponsor"): "secondary_sponsor",
}
_WS_SINGLE = {
    ("Criteria", "Inclusion_criteria"): "inclusion_criteria",
    ("Criteria", "Exclusion_criteria"): "exclusion_criteria",
    ("Criteria", "Inclusion_agemin"): "inclusion_agemin",
    ("Criteria", "Inclusion_agemax"): "inclusion_agemax",
    ("Criteria", "Inclusion_sex"): "inclusion_gender",
    ("Results", "results_yes_no"): "results_yes_no",
    ("Results", "results_date_posted"): "results_date_posted",
    ("Results", "results_url_link"): "results_url_link",
    ("Results", "results_date_completed"): "results_date_completed",
    ("Ethics_review", "Status"): "ethics_review_status",
    ("Ethics_review", "Approval_Date"): "ethics_review_approval_date",
    ("Ethics_review", "Contact_Name"): "ethics_review_contact_name",
    ("Ethics_review", "Contact_Address"): "ethics_review_contact_address",
    ("Ethics_review", "Contact_Email"): "ethics_review_contact_email",
}


def read_web_service(data: bytes, source: str) -> Row | None:
    """The trial in a ``GetTrialDetails`` answer; None for the empty diffgram that the
    service sends, with HTTP 200, when it has no such record."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError as e:
        raise InputError(source, f"not well-formed XML ({e})") from None
    diffgrams = root.xpath("//*[local-name()='diffgram']")
    if etree.QName(root).localname != "DataSet" or not diffgrams:
        raise InputError(source, "not an ICTRP web-service answer (no DataSet diffgram)")
    tables = [el for dataset in diffgrams[0] for el in dataset if isinstance(el.tag, str)]
    if not tables:
        return None

    def text(el: Any, name: str) -> str:
        found = [
            c.text or "" for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name
        ]
        return found[0] if found else ""

    row: Row = {"contacts": [], "primary_outcome": [], "secondary_outcome": []}
    for column in _WS_LISTS.values():
        row[column] = []
    trials = 0
    for table in tables:
        name = etree.QName(table).localname
        if name == "Trial":
            trials += 1
            for field, column in _WS_TRIAL.items():
                row[column] = text(table, field)
        elif name == "Contacts":
            row["contacts"].append(
                {
                    "name": " ".join(
                        p for p in (text(table, "Firstname"), text(table, "Lastname")) if p.strip()
                    ),
                    "address": ", ".join(
                        p
                        for p in (
                            text(table, "Address"),
                            text(table, "City"),
                            text(table, "Country"),
                        )
                        if p.strip()
                    ),
                    "phone": text(table, "Telephone"),
                    "email": text(table, "Email"),
                    "affiliation": text(table, "Affiliation"),
                }
            )
        elif name in ("Primary_outcome", "Secondary_outcome"):
            frame = (
                text(table, "Time_frame1")
                or text(table, "Time_frame2")
                or text(table, "Timepoints")
            )
            outcome = text(table, "Outcome_Name")
            row[name.lower()].append(
                f"{outcome}\nTime frame: {frame}" if frame.strip() else outcome
            )
        for (table_name, field), column in _WS_LISTS.items():
            if name == table_name:
                row[column].append(text(table, field))
        for (table_name, field), column in _WS_SINGLE.items():
            if name == table_name:
                row[column] = text(table, field)
    if trials != 1:
        raise InputError(source, f"a web-service answer with {trials} Trial rows, not 1")
    return row
