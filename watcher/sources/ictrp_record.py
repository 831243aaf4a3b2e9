"""WHO ICTRP: one row of export columns (from any of ICTRP's formats) mapped to the record
(docs/contract.md §3), so the same trial reads the same from every format that carries the same
fields.

Pure: does not fetch. Values ICTRP joins with ";" are read slot by slot (contacts, ethics
committees); a value that does not parse is kept as its text, with a warning.
"""

from __future__ import annotations

import re
from typing import Any

from watcher.core.ids import parse_trial_id
from watcher.core.lenient import Notes
from watcher.core.model import Record, empty_record
from watcher.core.normalize import (
    clean_block,
    clean_line,
    finish_record,
    parse_int,
    unique,
)
from watcher.core.record import fill
from watcher.errors import InvalidTrialId, NormalizeError
from watcher.sources import ictrp_formats as formats
from watcher.sources import ictrp_page as page

# ICTRP's names of the registers (Source_Register, the page's "Register:").
REGISTERS = {
    "clinicaltrials.gov": "ctgov",
    "eu clinical trials register": "euctr",
    "euctr": "euctr",
    "ctis": "ctis",
    "isrctn": "isrctn",
    "german clinical trials register": "drks",
    "drks": "drks",
    "anzctr": "anzctr",
    "chictr": "chictr",
    "jprn": "jprn",
    "cris": "cris",
    "nl-omon": "nl-omon",
    "netherlands trial register": "ntr",
    "ntr": "ntr",
    "ctri": "ctri",
    "irct": "irct",
    "pactr": "pactr",
    "rebec": "rebec",
}

STATUS_MAP = {
    "recruiting": "recruiting",
    "authorised": "authorised",
    "authorised-recruitment may be ongoing or finished": "authorised",
    "pending": "not_yet_recruiting",
    "not yet recruiting": "not_yet_recruiting",
    "completed": "completed",
    "suspended": "suspended",
    "terminated": "terminated",
    "withdrawn": "withdrawn",
    "ongoing": "ongoing",
    "ended": "ended",
}
# Values that say "no limit" or "not given" rather than a value.
_NO_VALUE = {"n/a", "na", "none", "not applicable", "not available", "no limit", "-", "0"}

_EUCTR_OUTCOME_SPLIT = re.compile(
    # ";" then, sometimes, "<br>" and indentation before the next label (real 2020 downloads).
    r";(?=(?:\s|<br\s*/?>)*(?:"
    + "|".join(re.escape(label) for label in page.OUTCOME_LABELS)
    + r"):)",
    re.IGNORECASE,
)
_JOINED = re.compile(r";(?=\S)")
_ISO_DAY = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


def _text(row: formats.Row, key: str) -> str | None:
    value = row.get(key)
    return clean_line(value) if isinstance(value, str) else None


def _value(row: formats.Row, key: str) -> str | None:
    """A free value, with ICTRP's "N/A", "None", "Not applicable" as no value."""
    text = _text(row, key)
    return None if text is None or text.lower() in _NO_VALUE else text


def _items(value: Any, *, outcomes: bool = False) -> list[str]:
    """A list column: the format's own items, or an export's ``;``-joined text split where a
    ``;`` is not followed by a space (a space follows a ``;`` inside one item's prose)."""
    if isinstance(value, list):
        parts = value
    elif isinstance(value, str) and value.strip():
        splitter = (
            _EUCTR_OUTCOME_SPLIT if outcomes and _EUCTR_OUTCOME_SPLIT.search(value) else _JOINED
        )
        parts = splitter.split(value)
    else:
        return []
    return unique(parts, multiline=True)


def _yes_no(text: str | None) -> bool | None:
    if text is None:
        return None
    low = text.strip().lower()
    return True if low in ("yes", "true", "y") else False if low in ("no", "false", "n") else None


def _registry(trial_id: str, register: str | None) -> str:
    try:
        return parse_trial_id(trial_id).registry
    except InvalidTrialId:
        pass
    name = (register or "").strip().lower()
    return REGISTERS.get(name, re.sub(r"[^a-z0-9-]+", "-", name).strip("-") or "unknown")


def _canonical(trial_id: str) -> str:
    try:
        return parse_trial_id(trial_id).value
    except InvalidTrialId:
        return trial_id


def _contacts(row: formats.Row) -> list[dict[str, Any]]:
    given = row.get("contacts")
    if not given:
        # Export columns: one contact, or several joined by ";" in every column alike, slot by
        # slot (an empty slot is a contact without that value, never a shift).
        columns = {
            f: _slots(row.get(f"contact_{c}"))
            for f, c in (
                ("first", "firstname"),
                ("last", "lastname"),
                ("address", "address"),
                ("email", "email"),
                ("phone", "tel"),
                ("affiliation", "affiliation"),
            )
        }
        count = max((len(v) for v in columns.values()), default=0)

        def at(name: str, i: int) -> str:
            values = columns[name]
            return values[i] if i < len(values) else ""

        given = [
            {
                "name": " ".join(p for p in (at("first", i), at("last", i)) if p),
                "address": at("address", i),
                "email": at("email", i),
                "phone": at("phone", i),
                "affiliation": at("affiliation", i),
            }
            for i in range(count)
        ]
    out: list[dict[str, Any]] = []
    for contact in given:
        cleaned = {
            "name": clean_line(contact.get("name")),
            "affiliation": clean_line(contact.get("affiliation")),
            "email": clean_line(contact.get("email")),
            "phone": clean_line(contact.get("phone")),
            "address": clean_line(contact.get("address")),
            "role": None,
        }
        if any(v for v in cleaned.values()):
            _merge_person(out, cleaned)
    return out


def _merge_person(people: list[dict[str, Any]], new: dict[str, Any]) -> None:
    """Add a contact, as one person with what is known of them: the page and the export list
    the public and the scientific contact, often the same person, each with part of the
    details. Two people of one name with different details stay two."""
    for person in people:
        if person["name"] != new["name"]:
            continue
        if all(person[k] in (None, v) or v is None for k, v in new.items()):
            for k, v in new.items():
                if person[k] is None:
                    person[k] = v
            return
    people.append(new)


def _target_size(row: formats.Row) -> tuple[int | None, str | None]:
    text = _text(row, "target_size")
    number = parse_int(text)
    return (number, None) if number is not None else (None, text)


def _prospective(row: formats.Row) -> bool | None:
    if (given := _yes_no(_text(row, "prospective_registration"))) is not None:
        return given
    retrospective = _yes_no(_text(row, "retrospective_flag"))
    return None if retrospective is None else not retrospective


def record_from_row(row: formats.Row, source: str = "ictrp") -> Record:
    """The normalized record (docs/contract.md §3) of one ICTRP row, whatever format it came
    from."""
    raw_id = _text(row, "trialid")
    if raw_id is None:
        raise NormalizeError(source, None, "a record without a TrialID")
    trial_id = _canonical(raw_id)
    notes = Notes()
    try:
        return notes.attach(_record(row, trial_id, source, notes))
    except ValueError as e:
        raise NormalizeError(source, trial_id, str(e)) from None


def _slots(value: Any) -> list[str]:
    """A ``;``-joined column split into its positional slots, empty ones kept: the columns of
    several contacts (or committees) line up by position, and an empty slot is a value."""
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    if not isinstance(value, str) or not value.strip():
        return []
    return [part.strip() for part in value.split(";")]


def _ethics(row: formats.Row, notes: Notes) -> dict[str, Any] | None:
    """The ethics review: one committee, or several (``;``-joined columns) as ``reviews``,
    with the earliest approval as the record's ``approval_date``."""
    dates = notes.dates("ethics_review.approval_date", _text(row, "ethics_review_approval_date"))
    iso = sorted(d for d in dates if _ISO_DAY.fullmatch(d))
    ethics: dict[str, Any] = {
        "status": _value(row, "ethics_review_status"),
        "approval_date": iso[0] if iso else (dates[0] if dates else None),
        "contact_name": _text(row, "ethics_review_contact_name"),
        "contact_address": _text(row, "ethics_review_contact_address"),
        "contact_phone": _text(row, "ethics_review_contact_phone"),
        "contact_email": _text(row, "ethics_review_contact_email"),
    }
    committees = _slots(row.get("ethics_review_contact_name"))
    statuses = _slots(row.get("ethics_review_status"))
    raw_dates = _slots(row.get("ethics_review_approval_date"))
    count = max(len(committees), len(statuses), len(raw_dates))
    if count > 1:
        reviews = []
        for i in range(count):
            review = {
                "committee": committees[i] if i < len(committees) else None,
                "status": statuses[i] if i < len(statuses) else None,
                "approval_date": dates[i] if i < len(dates) and len(dates) == count else None,
            }
            if any(review.values()) and review not in reviews:
                reviews.append(review)
        ethics["reviews"] = reviews
        if len({r["status"] for r in reviews if r["status"]}) == 1:
            ethics["status"] = next(r["status"] for r in reviews if r["status"])
    return ethics if any(ethics.values()) else None


def _record(row: formats.Row, trial_id: str, source: str, notes: Notes) -> Record:
    record = empty_record(trial_id, _registry(trial_id, _text(row, "source_register")), source)
    status_text = _text(row, "recruitment_status")
    size, size_text = _target_size(row)
    registered = notes.date("registration_date", _text(row, "date_registration3")) or notes.date(
        "registration_date", _text(row, "date_registration")
    )
    results_url = _text(row, "results_url_link")
    fill(
        record,
        url=_text(row, "web_address"),
        last_refreshed=notes.date("last_refreshed", _text(row, "last_refreshed_on")),
        registration_date=registered,
        prospective_registration=_prospective(row),
        primary_sponsor=_text(row, "primary_sponsor"),
        secondary_sponsors=_items(row.get("secondary_sponsor")),
        funding_sources=_items(row.get("source_support")),
        public_title=_text(row, "public_title"),
        scientific_title=_text(row, "scientific_title"),
        acronym=_text(row, "acronym"),
        secondary_ids=_items(row.get("secondary_id")),
        recruitment_status=status_text,
        status=STATUS_MAP.get((status_text or "").lower(), "unknown") if status_text else None,
        first_enrolment_date=notes.date("first_enrolment_date", _text(row, "date_enrollement")),
        target_sample_size=size,
        target_sample_size_text=size_text,
        study_type=_text(row, "study_type"),
        study_design=clean_block(row.get("study_design") or None),
        phase=clean_block(row.get("phase") or None),
        countries=_items(row.get("countries")),
        conditions=_items(row.get("condition")),
        interventions=_items(row.get("intervention")),
        inclusion_criteria=clean_block(row.get("inclusion_criteria") or None),
        exclusion_criteria=clean_block(row.get("exclusion_criteria") or None),
        age_min=_value(row, "inclusion_agemin"),
        age_max=_value(row, "inclusion_agemax"),
        gender=clean_block(row.get("inclusion_gender") or None),
        primary_outcomes=_items(row.get("primary_outcome"), outcomes=True),
        secondary_outcomes=_items(row.get("secondary_outcome"), outcomes=True),
        contacts=_contacts(row),
        ethics_review=_ethics(row, notes),
        # ICTRP files the trial's completion under its results: a date of the trial.
        completion_date=notes.date("completion_date", _text(row, "results_date_completed")),
        results={
            "available": _yes_no(_text(row, "results_yes_no")),
            "date_posted": notes.date("results.date_posted", _text(row, "results_date_posted")),
            "url": results_url,
            **_results_details(row, notes),
        },
    )
    # Only the trial page has these, and most pages leave them empty.
    for key, column in (
        ("ipd_sharing_plan", "results_ipd_plan"),
        ("ipd_sharing_description", "results_ipd_description"),
    ):
        if value := clean_block(row.get(column) or None):
            record[key] = value
    return finish_record(record)


def _results_details(row: formats.Row, notes: Notes) -> dict[str, Any]:
    """The trial page's further results fields, those it fills in."""
    details = {
        "protocol_url": _text(row, "results_url_protocol"),
        "date_first_publication": notes.date(
            "results.date_first_publication", _text(row, "results_date_first_publication")
        ),
        **{
            key: clean_block(row.get(column) or None)
            for key, column in (
                ("summary", "results_summary"),
                ("baseline_characteristics", "results_baseline_char"),
                ("adverse_events", "results_adverse_events"),
                ("outcome_measures", "results_outcome_measures"),
            )
        },
    }
    return {k: v for k, v in details.items() if v}
