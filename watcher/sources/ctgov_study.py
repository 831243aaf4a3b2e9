"""ClinicalTrials.gov, API v2: one study's JSON normalized to the record (docs/contract.md §3).

Pure: does not fetch. Only ``protocolSection`` and ``hasResults`` feed the record:
``derivedSection`` is recomputed by NLM on every data refresh (``miscInfoModule.versionHolder``
changes daily) and would make a version of every trial every day.
"""

from __future__ import annotations

import re
from typing import Any

from watcher.core.lenient import Notes
from watcher.core.model import Record, empty_record
from watcher.core.normalize import (
    as_text,
    clean_block,
    clean_line,
    finish_record,
    unescape_markdown,
    unique,
)
from watcher.core.record import fill
from watcher.errors import NormalizeError

PUBLIC_BASE = "https://clinicaltrials.gov"

STATUS_MAP = {
    "NOT_YET_RECRUITING": "not_yet_recruiting",
    "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling_by_invitation",
    "ACTIVE_NOT_RECRUITING": "active_not_recruiting",
    "SUSPENDED": "suspended",
    "TERMINATED": "terminated",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
    "UNKNOWN": "unknown",
}
SAMPLE_SIZE_TYPES = {"ESTIMATED": "anticipated", "ANTICIPATED": "anticipated", "ACTUAL": "actual"}

_EXCLUSION_HEADER = re.compile(r"^\s*exclusion\s+criteria\s*:?\s*$", re.IGNORECASE | re.MULTILINE)
_INCLUSION_HEADER = re.compile(r"\A\s*inclusion\s+criteria\s*:?\s*\n", re.IGNORECASE)


def nct_id(study: Any) -> str | None:
    try:
        value = study["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) and value else None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    return clean_line(unescape_markdown(value)) if isinstance(value, str) else None


def _words(enum: Any) -> str | None:
    """``DIETARY_SUPPLEMENT`` as ``Dietary Supplement``."""
    text = as_text(enum)
    return text.replace("_", " ").title() if text else None


def _camel_words(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", key).lower().capitalize()


def split_criteria(text: Any) -> tuple[str | None, str | None]:
    """CT.gov's one eligibility text as (inclusion, exclusion), split at its headings."""
    text = as_text(text)
    if not text:
        return None, None
    # Markup (the site's history pages keep the text as HTML) first: its headings are lines.
    text = clean_block(unescape_markdown(text.replace("\r\n", "\n"))) or ""
    parts = _EXCLUSION_HEADER.split(text, maxsplit=1)
    inclusion = _INCLUSION_HEADER.sub("", parts[0], count=1)
    exclusion = parts[1] if len(parts) > 1 else None
    return clean_block(inclusion), clean_block(exclusion)


def _design(design: Any) -> str | None:
    info = _get(design, "designInfo")
    if not isinstance(info, dict):
        return None
    parts = []
    for key, value in info.items():
        if key == "maskingInfo" and isinstance(value, dict):
            value = value.get("masking")
            key = "masking"
        if isinstance(value, str):
            parts.append(f"{_camel_words(key)}: {value}")
    return "; ".join(parts) or None


def _outcome(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    lines = [
        _text(item.get("measure")),
        f"Time frame: {t}" if (t := _text(item.get("timeFrame"))) else None,
        f"Description: {d}" if (d := _text(item.get("description"))) else None,
    ]
    text = "\n".join(line for line in lines if line)
    return text or None


def _contacts(contacts_module: Any) -> list[dict[str, Any]]:
    out = []
    for person in (_get(contacts_module, "centralContacts") or []) + (
        _get(contacts_module, "overallOfficials") or []
    ):
        if not isinstance(person, dict):
            continue
        phone = _text(person.get("phone"))
        if phone and person.get("phoneExt"):
            phone = f"{phone} ext. {person['phoneExt']}"
        out.append(
            {
                "name": _text(person.get("name")),
                "affiliation": _text(person.get("affiliation")),
                "email": _text(person.get("email")),
                "phone": phone,
                "address": None,
                "role": _words(person.get("role")),
            }
        )
    return out


def _sites(contacts_module: Any) -> list[dict[str, Any]]:
    sites = [
        {
            "facility": _text(loc.get("facility")),
            "city": _text(loc.get("city")),
            "state": _text(loc.get("state")),
            "country": _text(loc.get("country")),
            "status": _text(loc.get("status")),
        }
        for loc in (_get(contacts_module, "locations") or [])
        if isinstance(loc, dict)
    ]
    # Sites are a set: the API's order carries no meaning and must not make a version.
    return sorted(sites, key=lambda s: tuple(str(s[k] or "") for k in s))


def _prospective(registered: str | None, started: str | None) -> bool | None:
    """Registered no later than the first enrolment; unknown when month precision cannot tell."""
    if not registered or not started:
        return None
    if len(registered) == len(started) == 10:
        return registered <= started
    r, s = registered[:7], started[:7]
    return None if r == s else r < s


# CT.gov's QC round trips before results are posted (docs/registers.md §3), in the record's
# words: what an office hears of its own submission.
_UNPOSTED = {"RELEASE": "submitted", "RESET": "returned", "UNRELEASE": "withdrawn"}


def _results_events(study: dict[str, Any], status: dict[str, Any], notes: Notes) -> dict[str, Any]:
    """When results were first submitted, and each submission, QC return, withdrawal and the
    posting, oldest first, as ``{"type", "date"}`` (``date`` None where CT.gov gives none)."""
    events: list[dict[str, Any]] = []
    unposted = _get(study, "annotationSection", "annotationModule", "unpostedAnnotation")
    for event in (unposted or {}).get("unpostedEvents") or []:
        if not isinstance(event, dict):
            continue
        kind = _UNPOSTED.get(str(event.get("type") or "").upper())
        if kind is None:
            notes.warn("results.events", f"an event CT.gov has not used before: {event!r}")
            continue
        events.append({"type": kind, "date": notes.date("results.events", event.get("date"))})
    first = notes.date("results.date_submitted", status.get("resultsFirstSubmitDate"))
    if first and not any(e["type"] == "submitted" for e in events):
        events.insert(0, {"type": "submitted", "date": first})
    posted = notes.date("results.date_posted", _get(status, "resultsFirstPostDateStruct", "date"))
    if posted:
        events.append({"type": "posted", "date": posted})
    submitted = [e["date"] for e in events if e["type"] == "submitted"]
    return {"date_submitted": first or (submitted[0] if submitted else None), "events": events}


def normalize_study(study: dict[str, Any], trial_id: str | None = None) -> Record:
    """The normalized record (docs/contract.md §3) of one API v2 study object."""
    ps = study.get("protocolSection") or {}
    ident = ps.get("identificationModule") or {}
    status = ps.get("statusModule") or {}
    sponsors = ps.get("sponsorCollaboratorsModule") or {}
    design = ps.get("designModule") or {}
    eligibility = ps.get("eligibilityModule") or {}
    outcomes = ps.get("outcomesModule") or {}
    contacts = ps.get("contactsLocationsModule") or {}
    nct = nct_id(study) or ""
    tid = trial_id or nct
    notes = Notes()
    try:
        return notes.attach(
            _normalize(
                study,
                tid,
                ps,
                ident,
                status,
                sponsors,
                design,
                eligibility,
                outcomes,
                contacts,
                notes,
            )
        )
    except ValueError as e:
        raise NormalizeError("ctgov", tid, str(e)) from None


def _normalize(
    study: dict[str, Any],
    tid: str,
    ps: dict[str, Any],
    ident: dict[str, Any],
    status: dict[str, Any],
    sponsors: dict[str, Any],
    design: dict[str, Any],
    eligibility: dict[str, Any],
    outcomes: dict[str, Any],
    contacts: dict[str, Any],
    notes: Notes,
) -> Record:
    record = empty_record(tid, "ctgov", "ctgov")
    overall = _text(status.get("overallStatus"))
    registered = notes.date("registration_date", status.get("studyFirstSubmitDate")) or (
        notes.date("registration_date", _get(status, "studyFirstPostDateStruct", "date"))
    )
    started = notes.date("first_enrolment_date", _get(status, "startDateStruct", "date"))
    completion = notes.date("completion_date", _get(status, "completionDateStruct", "date"))
    enrollment = _get(design, "enrollmentInfo") or {}
    count = enrollment.get("count")
    number = notes.count("target_sample_size", count)
    kind = SAMPLE_SIZE_TYPES.get(str(enrollment.get("type") or "").upper())
    collaborators = [
        c.get("name") for c in sponsors.get("collaborators") or [] if isinstance(c, dict)
    ]
    lead = _text(_get(sponsors, "leadSponsor", "name"))
    inclusion, exclusion = split_criteria(eligibility.get("eligibilityCriteria"))
    has_results = study.get("hasResults")
    phases = design.get("phases") or []
    fill(
        record,
        url=f"{PUBLIC_BASE}/study/{tid}",
        last_updated=notes.date("last_updated", _get(status, "lastUpdatePostDateStruct", "date")),
        registration_date=registered,
        prospective_registration=_prospective(registered, started),
        primary_sponsor=lead,
        secondary_sponsors=unique(collaborators),
        # ICTRP lists a CT.gov trial's sponsor and collaborators as its sources of support.
        funding_sources=unique([lead, *collaborators]),
        public_title=_text(ident.get("briefTitle")),
        scientific_title=_text(ident.get("officialTitle")),
        acronym=_text(ident.get("acronym")),
        secondary_ids=unique(
            [_get(ident, "orgStudyIdInfo", "id")]
            + [s.get("id") for s in ident.get("secondaryIdInfos") or [] if isinstance(s, dict)]
        ),
        recruitment_status=overall,
        status=STATUS_MAP.get(overall or "", "unknown") if overall else None,
        why_stopped=_text(status.get("whyStopped")),
        first_enrolment_date=started,
        # CT.gov keeps one number: the plan until the trial ends, then the number enrolled.
        target_sample_size=number if kind != "actual" else None,
        actual_enrolment=number if kind == "actual" else None,
        target_sample_size_type=kind if kind != "actual" else None,
        study_type=_text(design.get("studyType")),
        study_design=_design(design),
        phase="/".join(p for p in phases if isinstance(p, str)) or None,
        countries=[
            loc.get("country") for loc in contacts.get("locations") or [] if isinstance(loc, dict)
        ],
        conditions=unique(_text(c) for c in _get(ps, "conditionsModule", "conditions") or []),
        interventions=unique(
            (f"{_words(i.get('type'))}: {i.get('name')}" if i.get("type") else i.get("name"))
            for i in _get(ps, "armsInterventionsModule", "interventions") or []
            if isinstance(i, dict)
        ),
        inclusion_criteria=inclusion,
        exclusion_criteria=exclusion,
        age_min=_text(eligibility.get("minimumAge")),
        age_max=_text(eligibility.get("maximumAge")),
        gender=_text(eligibility.get("sex")),
        primary_outcomes=[o for o in map(_outcome, outcomes.get("primaryOutcomes") or []) if o],
        secondary_outcomes=[o for o in map(_outcome, outcomes.get("secondaryOutcomes") or []) if o],
        contacts=_contacts(contacts),
        ethics_review=None,
        results={
            "available": has_results if isinstance(has_results, bool) else None,
            "date_posted": notes.date(
                "results.date_posted", _get(status, "resultsFirstPostDateStruct", "date")
            ),
            "url": f"{PUBLIC_BASE}/study/{tid}?tab=results" if has_results else None,
            **_results_events(study, status, notes),
        },
        primary_completion_date=notes.date(
            "primary_completion_date", _get(status, "primaryCompletionDateStruct", "date")
        ),
        completion_date=completion,
        sites=_sites(contacts),
    )
    return finish_record(record)
