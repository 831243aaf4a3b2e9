"""EU Clinical Trials Register: one member-state record (a list of section entries) normalized
to the record (docs/contract.md §3).

Pure: does not fetch. The member-state and whole-trial sample sizes stay apart:
``target_sample_size`` is the whole trial's (F.4.2.2).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from watcher.core.ids import euctr_parts
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
from watcher.errors import InputError, NormalizeError
from watcher.sources.euctr_format import EuctrRecord

PUBLIC_BASE = "https://www.clinicaltrialsregister.eu"

# National competent authorities are named "<country> - <agency>"; EUCTR's codes for them.
MEMBER_STATES = {
    "Austria": "AT",
    "Belgium": "BE",
    "Bulgaria": "BG",
    "Croatia": "HR",
    "Cyprus": "CY",
    "Czech Republic": "CZ",
    "Czechia": "CZ",
    "Denmark": "DK",
    "Estonia": "EE",
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Greece": "GR",
    "Hungary": "HU",
    "Iceland": "IS",
    "Ireland": "IE",
    "Italy": "IT",
    "Latvia": "LV",
    "Liechtenstein": "LI",
    "Lithuania": "LT",
    "Luxembourg": "LU",
    "Malta": "MT",
    "Netherlands": "NL",
    "Norway": "NO",
    "Poland": "PL",
    "Portugal": "PT",
    "Romania": "RO",
    "Slovakia": "SK",
    "Slovenia": "SI",
    "Spain": "ES",
    "Sweden": "SE",
    "United Kingdom": "GB",
}

STATUS_MAP = {
    "ongoing": "ongoing",
    "restarted": "ongoing",
    "completed": "completed",
    "prematurely ended": "terminated",
    "temporarily halted": "suspended",
    "suspended by ca": "suspended",
    "not authorised": "withdrawn",
    "prohibited by ca": "withdrawn",
}

_LINK = re.compile(r"/ctr-search/trial/(\d{4}-\d{6}-\d{2})/([A-Za-z0-9]+)")


def page_url(trial_id: str) -> str:
    """The public page of a member-state record, or the search page of a whole trial."""
    number, country = euctr_parts(trial_id)
    if country is None:
        return f"{PUBLIC_BASE}/ctr-search/search?query=eudract_number:{number}"
    return f"{PUBLIC_BASE}/ctr-search/trial/{number}/{'3rd' if country == '3RD' else country}"


def country_code(record: EuctrRecord) -> str | None:
    """The member-state code of a record: from its link, else from its authority's country."""
    link = record.summary.get("Link", "")
    if m := _LINK.search(link):
        return m[2].upper()
    if "outside" in record.summary.get("Clinical Trial Type", "").lower():
        return "3RD"
    authority = (
        record.summary.get("National Competent Authority")
        or record.first("A.1", "Member State Concerned")
        or ""
    )
    return MEMBER_STATES.get(authority.split(" - ")[0].strip())


def trial_id_of(record: EuctrRecord, where: str) -> str:
    number = record.summary.get("EudraCT Number") or record.first("A.2", "EudraCT number")
    code = country_code(record)
    if not number or not code:
        raise InputError(
            where,
            f"an EUCTR record without {'an EudraCT number' if not number else 'a member state'}",
        )
    return f"EUCTR{number}-{code}"


def _yes(value: str | None) -> bool:
    return (value or "").strip().lower() == "yes"


def _flags(record: EuctrRecord, codes: Sequence[str]) -> str | None:
    parts = []
    for entry in record.entries:
        if entry.code in codes and entry.value and entry.label:
            parts.append(f"{entry.label}: {entry.value}")
    return "; ".join(parts) or None


def _interventions(record: EuctrRecord) -> list[str]:
    fields = (
        ("D.1.2 and D.1.3", "IMP Role"),
        ("D.3.1", "Product Name"),
        ("D.3.2", "Product Code"),
        ("D.3.4", "Pharmaceutical Form"),
        ("D.3.8", "INN or Proposed INN"),
        ("D.3.9.2", "Current Sponsor code"),
        ("D.3.7", "Routes of administration"),
    )
    out = []
    for block in record.blocks("D.IMP"):
        values: dict[str, list[str]] = defaultdict(list)
        for e in block:
            if (value := clean_line(e.value)) and value not in values[e.code]:
                values[e.code].append(value)  # an IMP can have several active substances
        lines = [
            f"{label}: {', '.join(values[code])}" for code, label in fields if values.get(code)
        ]
        if lines:
            out.append("\n".join(lines))
    for block in record.blocks("D.8"):
        placebo = {e.code: e.value for e in block if e.value}
        if _yes(placebo.get("D.8.1")):
            form = clean_line(placebo.get("D.8.3")) or "placebo"
            out.append(f"Placebo: {form}")
    return out


def _conditions(record: EuctrRecord) -> list[str]:
    items = record.all("E.1.1", "Medical condition(s) being investigated")
    meddra: list[str] = []
    current: dict[str, str] = {}
    for entry in record.entries:
        if entry.code != "E.1.2":
            continue
        if entry.label == "Medical condition or disease under investigation":
            if current:
                meddra.append(_meddra(current))
            current = {}
        else:
            current[entry.label] = entry.value
    if current:
        meddra.append(_meddra(current))
    area = record.first("E.1.1.2", "Therapeutic area")
    return unique([*items, *meddra, f"Therapeutic area: {area}" if area else None])


def _meddra(parts: dict[str, str]) -> str:
    order = ("Version", "Level", "Classification code", "Term", "System Organ Class")
    return "MedDRA " + " ".join(
        f"{k.lower() if k == 'Version' else k}: {parts[k]}" for k in order if parts.get(k)
    )


def _outcome(record: EuctrRecord, code: str, label: str, timepoint_code: str) -> list[str]:
    text = clean_block(record.first(code, label))
    if text is None:
        return []
    when = clean_line(record.first(timepoint_code, "Timepoint(s) of evaluation of this end point"))
    return [f"{text}\nTimepoint(s) of evaluation: {when}" if when else text]


def _contact(record: EuctrRecord) -> list[dict[str, Any]]:
    name = clean_line(record.first("B.5.2", "Functional name of contact point"))
    org = clean_line(record.first("B.5.1", "Name of organisation"))
    address = ", ".join(
        v
        for v in (clean_line(record.first(c)) for c in ("B.5.3.1", "B.5.3.2", "B.5.3.3", "B.5.3.4"))
        if v
    )
    if not (name or org):
        return []
    return [
        {
            "name": name,
            "affiliation": org,
            "email": clean_line(record.first("B.5.6")),
            "phone": clean_line(record.first("B.5.4")),
            "address": address or None,
            "role": "Contact point designated by the sponsor",
        }
    ]


def _age_groups(record: EuctrRecord) -> list[str]:
    return [
        e.label
        for e in record.entries
        if e.code.startswith("F.1.")
        and e.code.count(".") <= 3
        and _yes(e.value)
        and "Number of subjects" not in e.label
        and e.label != "Trial has subjects under 18"
    ]


def normalize_record(record: EuctrRecord, trial_id: str, duplicates: int = 1) -> Record:
    """The normalized record (docs/contract.md §3) of one EUCTR member-state record."""
    notes = Notes()
    try:
        return notes.attach(_normalize(record, trial_id, duplicates, notes))
    except ValueError as e:
        raise NormalizeError("euctr", trial_id, str(e)) from None


def _normalize(record: EuctrRecord, trial_id: str, duplicates: int, notes: Notes) -> Record:
    out = empty_record(trial_id, "euctr", "euctr")
    summary = record.summary
    number = summary.get("EudraCT Number")
    if not number:
        raise NormalizeError("euctr", trial_id, "the record has no EudraCT Number")
    status_text = clean_line(summary.get("Trial Status")) or clean_line(
        record.first("P.", "End of Trial Status")
    )
    authority = clean_line(summary.get("National Competent Authority"))
    country = authority.split(" - ")[0] if authority else None
    sponsors = [clean_line(v) for v in record.all("B.1.1", "Name of Sponsor")]
    whole = parse_int(record.first("F.4.2.2", "In the whole clinical trial"))
    member_state = parse_int(record.first("F.4.1", "In the member state"))
    regions = (record.first("E.8.6.3") or "").split("\n")
    female, male = record.first("F.2.1", "Female"), record.first("F.2.2", "Male")
    gender = "; ".join(
        f"{label}: {value}" for label, value in (("Female", female), ("Male", male)) if value
    )
    ethics = {
        "status": clean_line(
            record.first("N.", "Ethics Committee Opinion of the trial application")
        ),
        "approval_date": notes.date(
            "ethics_review.approval_date", record.first("N.", "Date of Ethics Committee Opinion")
        ),
        "competent_authority_decision": clean_line(
            record.first("N.", "Competent Authority Decision")
        ),
        "competent_authority_decision_date": notes.date(
            "ethics_review.competent_authority_decision_date",
            record.first("N.", "Date of Competent Authority Decision"),
        ),
    }
    fill(
        out,
        url=page_url(trial_id),
        registration_date=notes.date(
            "registration_date",
            summary.get("Date on which this record was first entered in the EudraCT database"),
        ),
        primary_sponsor=sponsors[0] if sponsors else None,
        secondary_sponsors=unique(sponsors[1:]),
        funding_sources=unique(record.all("B.4.1", "Name of organisation providing support")),
        public_title=clean_line(
            record.first(
                "A.3.1",
                "Title of the trial for lay people, in easily understood, i.e. "
                "non-technical, language",
            )
        ),
        scientific_title=clean_line(record.first("A.3", "Full title of the trial")),
        acronym=clean_line(
            record.first("A.3.2", "Name or abbreviated title of the trial where available")
        ),
        secondary_ids=unique(
            [
                summary.get("Sponsor's Protocol Code Number"),
                *(
                    e.value
                    for e in record.entries
                    if e.code.startswith(("A.4.1", "A.5")) and e.value
                ),
            ]
        ),
        recruitment_status=status_text,
        status=STATUS_MAP.get((status_text or "").lower(), "unknown") if status_text else None,
        target_sample_size=whole if whole is not None else member_state,
        target_sample_size_type="anticipated"
        if whole is not None or member_state is not None
        else None,
        study_type="Interventional clinical trial of medicinal product",
        study_design=_flags(
            record,
            ("E.8.1", "E.8.1.1", "E.8.1.2", "E.8.1.3", "E.8.1.4", "E.8.1.5", "E.8.1.6", "E.8.1.7"),
        ),
        phase="; ".join(
            e.label
            for e in record.entries
            if e.code in ("E.7.1", "E.7.2", "E.7.3", "E.7.4") and _yes(e.value)
        )
        or None,
        countries=[country, *regions],
        conditions=_conditions(record),
        interventions=_interventions(record),
        inclusion_criteria=clean_block(record.first("E.3", "Principal inclusion criteria")),
        exclusion_criteria=clean_block(record.first("E.4", "Principal exclusion criteria")),
        gender=gender or None,
        primary_outcomes=_outcome(record, "E.5.1", "Primary end point(s)", "E.5.1.1"),
        secondary_outcomes=_outcome(record, "E.5.2", "Secondary end point(s)", "E.5.2.1"),
        contacts=_contact(record),
        ethics_review=ethics if any(ethics.values()) else None,
        results={
            "available": record.results_link,
            "date_posted": None,
            "url": f"{PUBLIC_BASE}/ctr-search/trial/{number}/results"
            if record.results_link
            else None,
        },
        # The end of the trial is a date of the trial, not of its results.
        completion_date=notes.date(
            "completion_date", record.first("P.", "Date of the global end of the trial")
        ),
        # EUCTR's own fields that a trials office reads, beside the contract's keys.
        member_state=authority,
        target_sample_size_member_state=member_state,
        target_sample_size_eea=parse_int(record.first("F.4.2.1", "In the EEA")),
        age_groups=_age_groups(record),
        main_objective=clean_block(record.first("E.2.1", "Main objective of the trial")),
        secondary_objectives=clean_block(
            record.first("E.2.2", "Secondary objectives of the trial")
        ),
        end_of_trial_status=clean_line(record.first("P.", "End of Trial Status")),
        duplicate_records=duplicates if duplicates > 1 else None,
    )
    return finish_record(out)
