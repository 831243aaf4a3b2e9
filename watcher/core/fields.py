"""What each record field is called for a person and how much a change to it matters.

Pure data in one place: the diff, the CLI and the reports read it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from watcher.core.model import Significance

# How a field's two values are compared.
Compare = Literal["value", "text", "set", "items", "outcomes", "keyed", "object"]


@dataclass(frozen=True, slots=True)
class FieldInfo:
    label: str
    significance: Significance
    # value: one scalar; text: long prose, shown as a word-level diff; set: items whose order
    # means nothing (countries, IDs); items: prose items matched by similarity, so a reordered
    # list is no change and a reworded item is one change; outcomes: items matched across
    # primary and secondary, so a move between them is seen; keyed: objects matched by their
    # identity (a site by facility and place); object: compared key by key.
    compare: Compare = "value"
    # A field computed from another one (``status`` from ``recruitment_status``): its change is
    # shown only when the field it comes from did not change too, so one edit is one line.
    derived_from: str | None = None
    # One item's name for messages ("Primary outcome 3 reworded").
    item: str = ""
    # For keyed lists: the keys that say which object is which.
    identity: tuple[str, ...] = ()


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
    "secondary_sponsors": FieldInfo("Secondary sponsors", "minor", "set", item="sponsor"),
    "funding_sources": FieldInfo("Sources of funding", "minor", "set", item="source"),
    "public_title": FieldInfo("Public title", "minor", "text"),
    "scientific_title": FieldInfo("Scientific title", "minor", "text"),
    "acronym": FieldInfo("Acronym", "minor"),
    "secondary_ids": FieldInfo("Secondary IDs", "minor", "set", item="ID"),
    "recruitment_status": FieldInfo("Recruitment status", "major"),
    "status": FieldInfo("Status", "major", derived_from="recruitment_status"),
    # Shown with the status change it explains: one edit, one line.
    "why_stopped": FieldInfo("Why stopped", "major", derived_from="recruitment_status"),
    "first_enrolment_date": FieldInfo("Date of first enrolment", "major"),
    # The plan, and the number enrolled: a register that reports the actual number in place
    # of the plan has not cut its target (docs/contract.md §3).
    "target_sample_size": FieldInfo("Target sample size", "major"),
    "actual_enrolment": FieldInfo("Actual enrolment", "major"),
    "target_sample_size_type": FieldInfo("Sample size type", "minor"),
    "target_sample_size_text": FieldInfo("Target sample size (as written)", "minor"),
    "study_type": FieldInfo("Study type", "minor"),
    "study_design": FieldInfo("Study design", "minor", "text"),
    "phase": FieldInfo("Phase", "major"),
    "countries": FieldInfo("Countries of recruitment", "minor", "set", item="country"),
    "conditions": FieldInfo("Health conditions", "minor", "items", item="Condition"),
    "interventions": FieldInfo("Interventions", "minor", "items", item="Intervention"),
    "inclusion_criteria": FieldInfo("Inclusion criteria", "minor", "text"),
    "exclusion_criteria": FieldInfo("Exclusion criteria", "minor", "text"),
    "age_min": FieldInfo("Minimum age", "minor"),
    "age_max": FieldInfo("Maximum age", "minor"),
    "gender": FieldInfo("Gender", "minor"),
    "primary_outcomes": FieldInfo("Primary outcomes", "major", "outcomes", item="Primary outcome"),
    "secondary_outcomes": FieldInfo(
        "Secondary outcomes", "minor", "outcomes", item="Secondary outcome"
    ),
    "contacts": FieldInfo("Contacts", "minor", "keyed", item="contact", identity=("name", "role")),
    "ethics_review": FieldInfo("Ethics review", "minor", "object"),
    "results": FieldInfo("Results", "major", "object"),
    "primary_completion_date": FieldInfo("Primary completion date", "major"),
    "completion_date": FieldInfo("Completion date", "major"),
    "sites": FieldInfo(
        "Sites", "minor", "keyed", item="site", identity=("facility", "city", "state", "country")
    ),
    # EUCTR's own fields.
    "member_state": FieldInfo("Member state", "metadata"),
    "target_sample_size_member_state": FieldInfo("Target sample size in the member state", "major"),
    "target_sample_size_eea": FieldInfo("Target sample size in the EEA", "minor"),
    "age_groups": FieldInfo("Age groups", "minor", "set", item="age group"),
    "main_objective": FieldInfo("Main objective", "major", "text"),
    "secondary_objectives": FieldInfo("Secondary objectives", "minor", "text"),
    "end_of_trial_status": FieldInfo("End of trial status", "major"),
    "duplicate_records": FieldInfo("Records of this member state in the register", "metadata"),
    # CTIS's own fields: a member state's Part II is one item, named by its country.
    "member_states": FieldInfo(
        "Member states", "major", "keyed", item="member state", identity=("country",)
    ),
    "temporary_halts": FieldInfo("Temporary halts", "major", "set", item="halt"),
    "transitioned_from_eudract": FieldInfo("Transitioned from EudraCT", "minor"),
}

# Fields whose list order means nothing: sorted before hashing, so that a register
# reordering them makes no version.
ORDERLESS: frozenset[str] = frozenset(
    key for key, info in FIELDS.items() if info.compare in ("set", "items", "outcomes", "keyed")
)

SUBFIELD_LABELS: dict[str, str] = {
    "available": "available",
    "date_posted": "date posted",
    "url": "link",
    "date_submitted": "date first submitted",
    "events": "events",
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


@dataclass(frozen=True, slots=True)
class DiffRules:
    """What the user changed of the defaults (config ``[diff]``)."""

    significance: Mapping[str, Significance] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    # How alike two items must be (0 to 1, by their words) to be one item reworded rather
    # than one removed and another added.
    similarity: float = 0.5
