"""What each record field is called for a person and how much a change to it matters.

Pure data in one place: the diff, the CLI and the reports read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.model import Significance


@dataclass(frozen=True, slots=True)
class FieldInfo:
    label: str
    significance: Significance
    # A field computed from another one (``status`` from ``recruitment_status``): its change is
    # shown only when the field it comes from did not change too, so one edit is one line.
    derived_from: str | None = None


FIELDS: dict[str, FieldInfo] = {
    "trial_id": FieldInfo("Trial ID", "metadata"),
    "registry": FieldInfo("Register", "metadata"),
    "source": FieldInfo("Fetched from", "metadata"),
    "url": FieldInfo("Record page", "metadata"),
    "last_refreshed": FieldInfo("Last refreshed on", "metadata"),
    "last_updated": FieldInfo("Last updated in the register", "metadata"),
    "registration_date": FieldInfo("Date of registration", "major"),
    "prospective_registration": FieldInfo("Prospective registration", "minor"),
    "primary_sponsor": FieldInfo("Primary sponsor", "major"),
    "secondary_sponsors": FieldInfo("Secondary sponsors", "minor"),
    "funding_sources": FieldInfo("Sources of funding", "minor"),
    "public_title": FieldInfo("Public title", "minor"),
    "scientific_title": FieldInfo("Scientific title", "minor"),
    "acronym": FieldInfo("Acronym", "minor"),
    "secondary_ids": FieldInfo("Secondary IDs", "minor"),
    "recruitment_status": FieldInfo("Recruitment status", "major"),
    "status": FieldInfo("Status", "major", derived_from="recruitment_status"),
    "first_enrolment_date": FieldInfo("Date of first enrolment", "major"),
    "target_sample_size": FieldInfo("Target sample size", "major"),
    "target_sample_size_type": FieldInfo("Sample size type", "minor"),
    "target_sample_size_text": FieldInfo("Target sample size (as written)", "minor"),
    "study_type": FieldInfo("Study type", "minor"),
    "study_design": FieldInfo("Study design", "minor"),
    "phase": FieldInfo("Phase", "major"),
    "countries": FieldInfo("Countries of recruitment", "minor"),
    "conditions": FieldInfo("Health conditions", "minor"),
    "interventions": FieldInfo("Interventions", "minor"),
    "inclusion_criteria": FieldInfo("Inclusion criteria", "minor"),
    "exclusion_criteria": FieldInfo("Exclusion criteria", "minor"),
    "age_min": FieldInfo("Minimum age", "minor"),
    "age_max": FieldInfo("Maximum age", "minor"),
    "gender": FieldInfo("Gender", "minor"),
    "primary_outcomes": FieldInfo("Primary outcomes", "major"),
    "secondary_outcomes": FieldInfo("Secondary outcomes", "minor"),
    "contacts": FieldInfo("Contacts", "minor"),
    "ethics_review": FieldInfo("Ethics review", "minor"),
    "results": FieldInfo("Results", "major"),
    "primary_completion_date": FieldInfo("Primary completion date", "major"),
    "completion_date": FieldInfo("Completion date", "major"),
    "sites": FieldInfo("Sites", "minor"),
}

SUBFIELD_LABELS: dict[str, str] = {
    "available": "available",
    "date_posted": "date posted",
    "date_completed": "date completed",
    "url": "link",
    "status": "status",
    "approval_date": "approval date",
}


def field_info(key: str) -> FieldInfo:
    """The label and class of ``key``; a dotted key (``results.date_posted``) takes its
    parent's class, and a key nobody listed is a minor change under its own name."""
    if key in FIELDS:
        return FIELDS[key]
    parent, _, sub = key.partition(".")
    if parent in FIELDS:
        info = FIELDS[parent]
        return FieldInfo(
            f"{info.label}: {SUBFIELD_LABELS.get(sub, sub.replace('_', ' '))}", info.significance
        )
    return FieldInfo(key.replace("_", " ").capitalize(), "minor")
