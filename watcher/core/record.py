"""The normalized record's keys with their types (docs/contract.md §3), for mypy: an adapter
that writes a key the contract does not have, or a value of the wrong type, fails the type
check instead of shipping a record nobody reads. Pure: types only.

A record travels as plain JSON data (``model.Record``, a dict), so that it round-trips through
the database and ``--json`` unchanged; ``TrialRecord`` describes that dict, and ``fill`` is how
the adapters write into one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

from watcher.core.model import Record


class TrialRecord(TypedDict, total=False):
    """Every key a record may have: the contract's, then those registers add (the same set as
    ``watcher.core.fields.FIELDS``, which says how each is compared). Dates are ISO 8601
    strings (``YYYY-MM-DD`` or ``YYYY-MM``); a value a parser could not read is kept as its
    text, so dates and numbers may also be strings."""

    # Contract §3.
    trial_id: str
    registry: str
    source: str
    url: str | None
    last_refreshed: str | None
    last_updated: str | None
    registration_date: str | None
    prospective_registration: bool | None
    primary_sponsor: str | None
    secondary_sponsors: list[str]
    funding_sources: list[str]
    public_title: str | None
    scientific_title: str | None
    acronym: str | None
    secondary_ids: list[str]
    recruitment_status: str | None
    status: str | None
    why_stopped: str | None
    first_enrolment_date: str | None
    target_sample_size: int | str | None
    actual_enrolment: int | str | None
    target_sample_size_type: str | None
    target_sample_size_text: str | None
    study_type: str | None
    study_design: str | None
    phase: str | None
    countries: Sequence[str | None]  # (finish_record drops the empty, sorts and dedupes)
    conditions: list[str]
    interventions: list[str]
    inclusion_criteria: str | None
    exclusion_criteria: str | None
    age_min: str | None
    age_max: str | None
    gender: str | None
    primary_outcomes: list[str]
    secondary_outcomes: list[str]
    contacts: list[dict[str, Any]]
    ethics_review: dict[str, Any] | None
    results: dict[str, Any]
    # Added by registers (README "Registers").
    primary_completion_date: str | None
    completion_date: str | None
    sites: list[Any]
    member_state: str | None
    target_sample_size_member_state: int | str | None
    target_sample_size_eea: int | str | None
    age_groups: list[str]
    main_objective: str | None
    secondary_objectives: str | None
    end_of_trial_status: str | None
    duplicate_records: int | None
    member_states: list[dict[str, Any]]
    temporary_halts: list[Any]
    transitioned_from_eudract: bool | None


def fill(record: Record, **values: Unpack[TrialRecord]) -> Record:
    """Write ``values`` into ``record`` (and return it): each key checked by mypy against
    ``TrialRecord``."""
    record.update(values)
    return record
