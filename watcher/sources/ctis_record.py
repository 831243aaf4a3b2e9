"""CTIS (EU CT numbers, Regulation 536/2014): a whole ``retrieve`` answer normalized to the record
(docs/contract.md §3), and the thin records of a ``search`` answer.

Pure: does not fetch. Part I is the trial as a whole; each member state's Part II becomes one
item of ``member_states`` (country, status, decision date, planned subjects, sites), so that a
change in one member state is reported naming it. English text only: the ``…Translations``
lists are not content, and a new translation is no change. The whole trial's planned number of
subjects is the member states' Part II numbers plus the subjects planned outside the EEA
(``rowSubjectCount``).
"""

from __future__ import annotations

import re
from typing import Any

from watcher.core.lenient import Notes
from watcher.core.model import Record, empty_record
from watcher.core.normalize import as_text, clean_block, clean_line, finish_record, unique
from watcher.core.record import fill
from watcher.errors import NormalizeError

PUBLIC_BASE = "https://euclinicaltrials.eu"
EU_CT_NUMBER = re.compile(r"\d{4}-5\d{5}-\d{2}-\d{2}")

# CTIS's overall and member-state statuses in the one vocabulary of the record.
STATUS_MAP = {
    "under evaluation": "not_yet_recruiting",
    "authorised": "authorised",
    "authorised, recruitment pending": "not_yet_recruiting",
    "authorised, recruiting": "recruiting",
    "authorised, not recruiting": "active_not_recruiting",
    "ongoing, recruitment pending": "not_yet_recruiting",
    "ongoing, recruiting": "recruiting",
    "ongoing, not recruiting": "active_not_recruiting",
    "ongoing, recruitment ended": "active_not_recruiting",
    "temporarily halted": "halted",
    "halted": "halted",
    "suspended": "suspended",
    "restarted": "ongoing",
    "ended": "ended",
    "completed": "completed",
    "prematurely ended": "terminated",
    "revoked": "terminated",
    "not authorised": "not_authorised",
    "withdrawn": "withdrawn",
    "expired": "withdrawn",
    "cancelled": "withdrawn",
    "lapsed": "withdrawn",
}
# CTIS's public status codes, as its public portal labels them (docs/registers.md §4): the
# search answer's ``ctStatus``, the retrieve answer's ``ctPublicStatusCode``, and, since 2026,
# the ``ctStatus`` of a retrieve answer too. The portal may add codes without notice.
STATUS_CODES = {
    1: "Under evaluation",
    2: "Authorised, recruitment pending",
    3: "Authorised, recruiting",
    4: "Ongoing, recruiting",
    5: "Ongoing, recruitment ended",
    6: "Temporarily halted",
    7: "Suspended",
    8: "Ended",
    9: "Expired",
    10: "Revoked",
    11: "Not authorised",
    12: "Cancelled",
}
# Part I ``trialPhase`` codes, as CTIS's search answer spells the same phases.
PHASES = {
    "1": "Human Pharmacology (Phase I) - First administration to humans",
    "2": "Human Pharmacology (Phase I) - Bioequivalence Study",
    "3": "Human Pharmacology (Phase I) - Other",
    "4": "Therapeutic exploratory (Phase II)",
    "5": "Therapeutic confirmatory (Phase III)",
    "6": "Therapeutic use (Phase IV)",
}
_PRODUCT_ROLES = {"1": "Test", "2": "Comparator", "3": "Auxiliary", "4": "Placebo"}


def page_url(ct_number: str) -> str:
    return f"{PUBLIC_BASE}/ctis-public/view/{ct_number}"


def _get(data: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def _list(data: Any, *path: str) -> list[Any]:
    found = _get(data, *path)
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def _order(item: dict[str, Any]) -> float:
    """An item's place by its ``number`` (one that is not a number goes last)."""
    number = item.get("number")
    if isinstance(number, int | float) and not isinstance(number, bool):
        return float(number)
    return float("inf")


def _numbered(items: list[dict[str, Any]], key: str) -> list[str]:
    """Items in their ``number`` order, their text only."""
    ordered = sorted(items, key=_order)
    return unique(clean_block(i.get(key)) for i in ordered)


def status_label(value: Any, notes: Notes, name: str) -> str | None:
    """A CTIS status as a person reads it: a label as written, a public status code (a number,
    or a number written as text) as the portal labels it; a code not in the table is kept as
    "CTIS status code N", with a warning."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        code = int(value)
        if code in STATUS_CODES:
            return STATUS_CODES[code]
        notes.warn(name, f"a status code CTIS has not used before ({code}): kept as the code")
        return f"CTIS status code {code}"
    return clean_line(value) if isinstance(value, str) else clean_line(str(value))


def _status(text: str | None, notes: Notes, name: str) -> str | None:
    if not text:
        return None
    found = STATUS_MAP.get(text.strip().lower())
    if found is None:
        notes.warn(name, f"a status CTIS has not used before ({text!r}): kept as written")
        return "unknown"
    return found


def _day(text: Any, notes: Notes, name: str) -> str | None:
    """CTIS writes ISO dates and times (``2023-03-06T08:32:47.777``): the day."""
    if not isinstance(text, str) or not text.strip():
        return None
    return notes.date(name, text.strip()[:10])


def _contacts(sponsors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sponsor in sponsors:
        for role, key in (("Public", "publicContacts"), ("Scientific", "scientificContacts")):
            for c in _list(sponsor, key):
                out.append(
                    {
                        "name": clean_line(c.get("functionalName")),
                        "affiliation": clean_line(_get(c, "organisation", "name")),
                        "email": clean_line(c.get("functionalEmailAddress")),
                        "phone": clean_line(c.get("telephone")),
                        "address": None,
                        "role": role,
                    }
                )
    return out


def _member_state(
    part: dict[str, Any], events: dict[str, list[str]], notes: Notes
) -> dict[str, Any]:
    info = part.get("mscInfo") or {}
    country = clean_line(info.get("countryName") or info.get("mscName"))
    status_text = clean_line(info.get("trialStatus") or part.get("applicationStatusCode"))
    return {
        "country": country,
        "status": status_text,
        "decision_date": _day(
            part.get("decisionDate") or info.get("decisionDate"),
            notes,
            "member_states.decision_date",
        ),
        "target_sample_size": part.get("recruitmentSubjectCount"),
        "sites": len(_list(part, "trialSites")),
        "recruitment_started": info.get("hasRecruitmentStarted"),
        "events": events.get(country or "", []),
    }


def _events(data: dict[str, Any]) -> dict[str, list[str]]:
    """Each member state's events (start, halt, restart, end), as ``TYPE DATE`` lines."""
    out: dict[str, list[str]] = {}
    for msc in _list(data, "events", "trialEvents"):
        lines = []
        for event in _list(msc, "events"):
            kind = clean_line(event.get("type") or event.get("eventType") or event.get("name"))
            when = clean_line(str(event.get("date") or event.get("eventDate") or ""))
            if kind or when:
                lines.append(" ".join(p for p in (kind, when) if p))
        out[str(msc.get("mscName") or "")] = lines
    return out


def normalize_retrieve(data: dict[str, Any], trial_id: str | None = None) -> Record:
    """The record of one ``retrieve`` answer."""
    number = data.get("ctNumber")
    if not isinstance(number, str) or not EU_CT_NUMBER.fullmatch(number.strip()):
        raise NormalizeError("ctis", trial_id, "the answer has no EU CT number (ctNumber)")
    notes = Notes()
    try:
        return notes.attach(_retrieve(data, trial_id or f"CTIS{number.strip()}", notes))
    except ValueError as e:
        raise NormalizeError("ctis", trial_id, str(e)) from None


def _retrieve(data: dict[str, Any], trial_id: str, notes: Notes) -> Record:
    number = data["ctNumber"].strip()
    application = data.get("authorizedApplication") or {}
    part1 = application.get("authorizedPartI") or {}
    details = part1.get("trialDetails") or {}
    ids = details.get("clinicalTrialIdentifiers") or {}
    information = details.get("trialInformation") or {}
    parts2 = _list(application, "authorizedPartsII")
    sponsors = _list(part1, "sponsors")
    primary = [s for s in sponsors if s.get("primary")] or sponsors[:1]
    eligibility = information.get("eligibilityCriteria") or {}
    end_points = information.get("endPoint") or {}
    duration = information.get("trialDuration") or {}
    population = information.get("populationOfTrialSubjects") or {}
    secondary = ids.get("secondaryIdentifyingNumbers") or {}
    phase_code = str(_get(information, "trialCategory", "trialPhase") or "")
    if phase_code and phase_code not in PHASES:
        notes.warn(
            "phase", f"a phase code CTIS has not used before ({phase_code!r}): kept as the code"
        )
    planned = [p.get("recruitmentSubjectCount") for p in parts2]
    outside = part1.get("rowSubjectCount")
    counts = [n for n in [*planned, outside] if isinstance(n, int)]
    events = _events(data)
    eudract = _get(application, "eudraCt") or {}
    status_text = status_label(
        data.get("ctStatus", data.get("ctPublicStatusCode")), notes, "recruitment_status"
    )
    record = empty_record(trial_id, "ctis", "ctis")
    initial = _list(application, "applicationInfo")
    fill(
        record,
        url=page_url(number),
        last_updated=_day(data.get("publishDate"), notes, "last_updated"),
        registration_date=_day(initial[0].get("submissionDate"), notes, "registration_date")
        if initial
        else None,
        primary_sponsor=clean_line(_get(primary[0], "organisation", "name")) if primary else None,
        secondary_sponsors=unique(
            _get(s, "organisation", "name") for s in sponsors if s not in primary
        ),
        funding_sources=unique(
            s.get("organisationName") for s in _list(information, "sourceOfMonetarySupport")
        ),
        public_title=clean_line(ids.get("publicTitle")),
        scientific_title=clean_line(ids.get("fullTitle")),
        acronym=clean_line(ids.get("shortTitle")),
        secondary_ids=unique(
            [
                _get(secondary, "whoUniversalTrialNumber", "number"),
                *(
                    " ".join(
                        t
                        for t in (as_text(r.get("otherRegistryName")), as_text(r.get("number")))
                        if t
                    )
                    for r in _list(secondary, "additionalRegistries")
                ),
                eudract.get("eudraCtCode") or eudract.get("eudraCtNumber"),
            ]
        ),
        recruitment_status=status_text,
        status=_status(status_text, notes, "recruitment_status"),
        first_enrolment_date=_day(
            duration.get("estimatedRecruitmentStartDate"), notes, "first_enrolment_date"
        ),
        target_sample_size=sum(counts) if counts else None,
        target_sample_size_type="anticipated" if counts else None,
        study_type="Interventional clinical trial of medicinal product",
        phase=PHASES.get(phase_code, phase_code or None),
        countries=unique(
            [
                *(m.get("mscName") for m in _list(application, "memberStatesConcerned")),
                *(c.get("name") for c in _list(part1, "rowCountriesInfo")),
            ]
        ),
        conditions=unique(
            c.get("medicalCondition")
            for c in _list(information, "medicalCondition", "partIMedicalConditions")
        ),
        interventions=unique(_product(p) for p in _list(part1, "products")),
        inclusion_criteria=_criteria(eligibility, "principalInclusionCriteria"),
        exclusion_criteria=_criteria(eligibility, "principalExclusionCriteria"),
        gender=", ".join(
            sex
            for sex, key in (("Female", "isFemaleSubjects"), ("Male", "isMaleSubjects"))
            if population.get(key)
        )
        or None,
        primary_outcomes=_numbered(_list(end_points, "primaryEndPoints"), "endPoint"),
        secondary_outcomes=_numbered(_list(end_points, "secondaryEndPoints"), "endPoint"),
        contacts=_contacts(sponsors),
        results={
            "available": bool(data.get("results")),
            "date_posted": None,
            "url": f"{page_url(number)}#results" if data.get("results") else None,
        },
        member_states=sorted(
            (_member_state(p, events, notes) for p in parts2),
            key=lambda m: m["country"] or "",
        ),
        completion_date=_day(
            duration.get("estimatedGlobalEndDate") or duration.get("estimatedEndDate"),
            notes,
            "completion_date",
        ),
        temporary_halts=[
            " ".join(str(v) for v in h.values() if isinstance(v, str | int))
            for h in _list(data, "events", "temporaryHaltList")
        ],
        transitioned_from_eudract=bool(eudract.get("isTransitioned")),
    )
    return finish_record(record)


def _product(product: dict[str, Any]) -> str | None:
    info = product.get("productDictionaryInfo") or {}
    name = clean_line(info.get("prodName")) or clean_line(info.get("activeSubstanceName"))
    role = _PRODUCT_ROLES.get(str(product.get("mpRoleInTrial") or ""))
    substance = clean_line(info.get("activeSubstanceName"))
    if name and substance and substance.lower() not in name.lower():
        name = f"{name} ({substance})"
    return f"{role}: {name}" if name and role else name


def _criteria(eligibility: dict[str, Any], key: str) -> str | None:
    items = sorted(_list(eligibility, key), key=_order)
    lines = [f"{i.get('number')}. {clean_line(i.get(key))}" for i in items if i.get(key)]
    return clean_block("\n".join(lines)) if lines else None


def normalize_search_item(item: dict[str, Any]) -> Record:
    """The thin record of one trial in a ``search`` answer (a list, not the register's whole
    record): what the answer says, dates written dd/mm/yyyy."""
    number = str(item.get("ctNumber") or "").strip()
    if not EU_CT_NUMBER.fullmatch(number):
        raise NormalizeError("ctis", None, "a search answer item without an EU CT number")
    notes = Notes()
    record = empty_record(f"CTIS{number}", "ctis", "ctis")
    label = status_label(item.get("ctStatus"), notes, "recruitment_status")
    size = str(item.get("totalNumberEnrolled") or "").strip()
    fill(
        record,
        url=page_url(number),
        last_updated=notes.date("last_updated", item.get("lastUpdated")),
        public_title=clean_line(item.get("ctTitle")),
        acronym=clean_line(item.get("shortTitle")),
        # The search answer gives the status as a code only: read through the portal's labels.
        recruitment_status=label,
        status=_status(label, notes, "recruitment_status"),
        primary_sponsor=clean_line(item.get("sponsor")),
        phase=clean_line(item.get("trialPhase")),
        conditions=unique([item.get("conditions")]),
        countries=unique(str(c).split(":")[0] for c in item.get("trialCountries") or []),
        target_sample_size=int(size) if size.isdigit() else None,
        target_sample_size_text=None if size.isdigit() or not size else size,
        first_enrolment_date=notes.date("first_enrolment_date", item.get("startDateEU")),
        completion_date=notes.date("completion_date", item.get("endDateEU")),
        gender=clean_line(item.get("gender")),
    )
    return notes.attach(finish_record(record))
