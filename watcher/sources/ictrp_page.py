"""WHO ICTRP's trial page (``Trial2.aspx?TrialID=...``), as HTML or as the text a browser shows,
read into a row of the export's columns by its visible labels ("Main ID:", "Last refreshed
on:") rather than by generated element IDs.
"""

from __future__ import annotations

import re

from watcher.errors import InputError
from watcher.sources.ictrp_formats import Row
from watcher.sources.markup import parse_html

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


# Every trial page, HTML or its text, ends with WHO's copyright line, after the record.
_FOOTER = b"Copyright - World Health Organization"


def is_whole(data: bytes) -> bool:
    """Whether a trial page reached its end: the copyright line, or the closing ``</html>``."""
    return _FOOTER in data or b"</html>" in data[-4096:].lower()


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
# Values of one line (the HTML page puts them on the line after their label): a line after
# them is never part of them, whatever label it has (one renamed by a new page layout).
_ONE_LINE = {
    "source_register",
    "last_refreshed_on",
    "trialid",
    "date_registration",
    "prospective_registration",
    "date_enrollement",
    "target_size",
    "recruitment_status",
    "web_address",
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
    "Date of completion": "results_date_completed",
    "URL": "results_url_link",
    "URL of the protocol": "results_url_protocol",
    "Date of first publication": "results_date_first_publication",
    "Results summary": "results_summary",
    "Baseline characteristics": "results_baseline_char",
    "Adverse events": "results_adverse_events",
    "Outcome measures": "results_outcome_measures",
    "IPD sharing plan": "results_ipd_plan",
    "IPD sharing description": "results_ipd_description",
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
_TIME_FRAME = re.compile(r"\[Time Frame:", re.IGNORECASE)
_EXCLUSION_HEADING = re.compile(r"^\s*Exclusion Criteria:?[ \t]*$", re.IGNORECASE | re.MULTILINE)
_INCLUSION_HEADING = re.compile(r"\A\s*Inclusion Criteria:?[ \t]*\n?", re.IGNORECASE)
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
            elif key is not None and not (key in _ONE_LINE and (row.get(key) or "").strip()):
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
            elif section == "criteria" and line:
                # The HTML page shows the inclusion criteria first, under no label of its own.
                key = "inclusion_criteria"
                extend(key, line)
            continue
        _page_item(items, line, section)
    if contact:
        row["contacts"].append(contact)
    _split_criteria(row)
    # The labels make a record, not their values: an emptied value is a field without one.
    missing = [label for label in REQUIRED_PAGE_LABELS if _HEADER_LABELS[label] not in row]
    if missing:
        raise InputError(
            source,
            "not an ICTRP trial record: no "
            + " and no ".join(f"'{m}:'" for m in missing)
            + " (a 'not found' or error page?)",
        )
    return row


def _split_criteria(row: Row) -> None:
    """The page of a CT.gov trial holds the register's whole eligibility text as its
    inclusion criteria ("Inclusion Criteria: ... Exclusion Criteria: ..."): split it at the
    last "Exclusion Criteria:" heading (the text may nest a stray one in an inclusion item)."""
    text = row.get("inclusion_criteria")
    if not isinstance(text, str) or (row.get("exclusion_criteria") or "").strip():
        return
    headings = list(_EXCLUSION_HEADING.finditer(text))
    if headings:
        last = headings[-1]
        row["inclusion_criteria"] = _INCLUSION_HEADING.sub("", text[: last.start()], count=1)
        row["exclusion_criteria"] = text[last.end() :]


def _page_item(items: list[str], line: str, section: str) -> None:
    """One line of a list section: a new item, or the rest of the item it continues."""
    if section in ("primary_outcome", "secondary_outcome") and _TIME_FRAME.match(line) and items:
        items[-1] += "\n" + line  # an outcome's time frame belongs to it
        return
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
