"""WHO ICTRP's formats, each read into one shape: a row of the XML export's columns.

- the XML export (``<Trials_downloaded_from_ICTRP>``, "Export results to XML"),
- the CSV download (WHO's COVID-19 files; the same columns with spaces for underscores),
- the trial page (``Trial2.aspx?TrialID=...``): ``ictrp_page``,
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
