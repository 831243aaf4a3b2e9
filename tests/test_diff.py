"""Diffs on pairs built from the real records: one thing changed at a time in the register's
payload, then normalized as a check would. Each pair gives exactly the expected changes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.registry_server import load_study
from watcher.core.diff import diff_records, summarize
from watcher.core.fields import DiffRules
from watcher.core.hashing import content_hash
from watcher.core.model import FieldChange, empty_record
from watcher.sources.ctgov_study import normalize_study
from watcher.sources.euctr import group_records
from watcher.sources.euctr_record import normalize_record
from watcher.sources.ictrp_page import read_page_text
from watcher.sources.ictrp_record import record_from_row

DATA = Path(__file__).parent / "data"
STUDY = load_study()
BASE = normalize_study(STUDY)


def _changed(edit: Callable[[dict[str, Any]], None]) -> tuple[dict[str, Any], list[FieldChange]]:
    study = copy.deepcopy(STUDY)
    edit(study["protocolSection"])
    record = normalize_study(study)
    return record, diff_records(BASE, record)


def _triples(changes: list[FieldChange]) -> list[tuple[str, str, str]]:
    return [(c.field, c.kind, c.significance) for c in changes]


# -- one field at a time ------------------------------------------------------------------


def test_recruitment_status() -> None:
    _, changes = _changed(
        lambda ps: ps["statusModule"].update(overallStatus="ACTIVE_NOT_RECRUITING")
    )
    [c] = changes
    assert (c.field, c.old, c.new, c.significance) == (
        "recruitment_status",
        "RECRUITING",
        "ACTIVE_NOT_RECRUITING",
        "major",
    )
    assert c.summary == "Recruitment status: Recruiting → Active, not recruiting"


def test_target_sample_size_with_its_share() -> None:
    _, changes = _changed(lambda ps: ps["designModule"]["enrollmentInfo"].update(count=800))
    [c] = changes
    assert c.summary == "Target sample size: 1210 → 800 (−34%)"
    assert c.significance == "major"


def test_first_enrolment_moved_months_later() -> None:
    _, changes = _changed(
        lambda ps: ps["statusModule"]["startDateStruct"].update(date="2021-03-16")
    )
    [c] = changes
    assert c.summary == ("Date of first enrolment moved 9 months later (2020-06-16 → 2021-03-16)")


def test_completion_date_moved_days_earlier() -> None:
    _, changes = _changed(
        lambda ps: ps["statusModule"]["completionDateStruct"].update(date="2025-12-03")
    )
    assert [c.summary for c in changes] == [
        "Completion date moved 12 days earlier (2025-12-15 → 2025-12-03)"
    ]


def test_sponsor_change_is_major() -> None:
    _, changes = _changed(
        lambda ps: ps["sponsorCollaboratorsModule"]["leadSponsor"].update(
            name="Alliance for Clinical Trials in Oncology"
        )
    )
    assert _triples(changes) == [
        ("primary_sponsor", "changed", "major"),
        ("funding_sources", "removed", "minor"),
        ("funding_sources", "added", "minor"),
    ]


def test_a_long_text_shows_a_word_level_diff_not_two_copies() -> None:
    _, changes = _changed(
        lambda ps: ps["eligibilityModule"].update(
            eligibilityCriteria=ps["eligibilityModule"]["eligibilityCriteria"].replace(
                "Age \\>= 18 years", "Age \\>= 21 years"
            )
        )
    )
    [c] = changes
    assert (c.field, c.kind, c.significance) == ("inclusion_criteria", "changed", "minor")
    assert c.summary == "Inclusion criteria changed (+1 word, −1 word)"
    ops = [(p["op"], p["text"]) for p in c.detail if p["op"] != "equal"]
    assert ops == [("delete", "18"), ("insert", "21")]
    shown = " ".join(p["text"] for p in c.detail)
    assert len(shown) < 200 < len(c.new)  # context around the change, not the whole text


def test_a_short_title_change_is_shown_whole() -> None:
    _, changes = _changed(lambda ps: ps["identificationModule"].update(acronym="ACCIO"))
    assert [(c.field, c.kind, c.summary) for c in changes] == [
        ("acronym", "added", "Acronym: (none) → ACCIO")
    ]


def test_a_new_country_and_a_site_status() -> None:
    def edit(ps: dict[str, Any]) -> None:
        locations = ps["contactsLocationsModule"]["locations"]
        locations[0]["status"] = "COMPLETED"
        locations.append(
            {
                "facility": "Hôpital Saint-Louis",
                "city": "Paris",
                "country": "France",
                "status": "RECRUITING",
            }
        )

    _, changes = _changed(edit)
    assert [(c.field, c.kind) for c in changes] == [
        ("countries", "added"),
        ("sites", "changed"),
        ("sites", "added"),
    ]
    assert changes[0].summary == "Countries of recruitment: added France"
    assert changes[1].summary == (
        "Sites: Anchorage Associates in Radiation Medicine, Anchorage, "
        "Alaska, United States: status Suspended → Completed"
    )
    assert changes[2].summary == "Sites: added Hôpital Saint-Louis, Paris, France"


def test_results_posted() -> None:
    record = copy.deepcopy(BASE)
    record["results"] = {
        **BASE["results"],
        "available": True,
        "date_posted": "2026-10-01",
        "url": "https://clinicaltrials.gov/study/NCT04267848?tab=results",
    }
    assert _triples(diff_records(BASE, record)) == [
        ("results.available", "changed", "major"),
        ("results.date_posted", "added", "major"),
        ("results.url", "added", "major"),
    ]


# -- noise that is no change ----------------------------------------------------------------


def test_reordered_lists_are_no_change_and_no_version() -> None:
    def edit(ps: dict[str, Any]) -> None:
        ps["outcomesModule"]["secondaryOutcomes"].reverse()
        ps["conditionsModule"]["conditions"].reverse()
        ps["armsInterventionsModule"]["interventions"].reverse()
        ps["identificationModule"]["secondaryIdInfos"].reverse()
        ps["contactsLocationsModule"]["locations"].reverse()

    record, changes = _changed(edit)
    assert changes == []
    assert record != BASE
    assert content_hash(record) == content_hash(BASE)


def test_reflowed_text_is_no_change_and_no_version() -> None:
    def edit(ps: dict[str, Any]) -> None:
        text = ps["eligibilityModule"]["eligibilityCriteria"]
        ps["eligibilityModule"]["eligibilityCriteria"] = (
            text.replace("\n", "  \r\n").replace(" ", "  ") + "\n\n\n"
        )
        ps["identificationModule"]["briefTitle"] = (
            "  " + ps["identificationModule"]["briefTitle"].replace(" ", "\n ") + " "
        )

    record, changes = _changed(edit)
    assert changes == []
    assert content_hash(record) == content_hash(BASE)


def test_the_registers_bookkeeping_is_no_change() -> None:
    study = copy.deepcopy(STUDY)
    study["derivedSection"]["miscInfoModule"]["versionHolder"] = "2026-11-24"
    assert diff_records(BASE, normalize_study(study)) == []


# -- outcomes --------------------------------------------------------------------------------


def _outcomes(ps: dict[str, Any]) -> dict[str, Any]:
    module: dict[str, Any] = ps["outcomesModule"]
    return module


def test_an_outcome_reworded_is_one_change_with_its_words() -> None:
    def edit(ps: dict[str, Any]) -> None:
        _outcomes(ps)["secondaryOutcomes"][0]["measure"] = "Overall survival (OS) at 5 years"

    _, changes = _changed(edit)
    [c] = changes
    assert (c.field, c.kind, c.significance) == ("secondary_outcomes", "reworded", "minor")
    assert c.summary == "Secondary outcome 1: measure changed: Overall survival (OS) at 5 years"
    assert c.aspects == ("measure",)
    assert [(p["op"], p["text"]) for p in c.detail if p["op"] != "equal"] == [
        ("insert", "at 5 years")
    ]


def test_a_primary_outcome_written_otherwise_is_a_minor_rewording() -> None:
    """Case, punctuation and spacing (a title cased at results entry) leave the outcome the
    same: a minor "rewording of the same outcome", with its word diff, never major."""

    def edit(ps: dict[str, Any]) -> None:
        first = _outcomes(ps)["primaryOutcomes"][0]
        first["measure"] = first["measure"].title().replace(" ", "  ")

    _, changes = _changed(edit)
    [c] = changes
    assert (c.field, c.kind, c.significance, c.aspects) == (
        "primary_outcomes",
        "reworded",
        "minor",
        ("wording",),
    )
    assert c.summary == "Primary outcome 1: rewording of the same outcome"
    assert c.to_json()["aspects"] == ["wording"]


def test_a_primary_outcome_time_frame_changed_is_said_in_words() -> None:
    def edit(ps: dict[str, Any]) -> None:
        _outcomes(ps)["primaryOutcomes"][0]["timeFrame"] = "24 months"

    _, changes = _changed(edit)
    [c] = changes
    old_frame = STUDY["protocolSection"]["outcomesModule"]["primaryOutcomes"][0]["timeFrame"]
    assert (c.significance, c.aspects) == ("major", ("time_frame",))
    assert c.summary == f"Primary outcome 1: time frame changed ({old_frame} → 24 months)"


def test_a_primary_outcome_reworded_is_major() -> None:
    def edit(ps: dict[str, Any]) -> None:
        _outcomes(ps)["primaryOutcomes"][0]["timeFrame"] = (
            "From randomization to disease recurrence, assessed up to 3 years"
        )

    _, changes = _changed(edit)
    assert _triples(changes) == [("primary_outcomes", "reworded", "major")]


def test_an_outcome_added_and_one_removed() -> None:
    def edit(ps: dict[str, Any]) -> None:
        secondary = _outcomes(ps)["secondaryOutcomes"]
        secondary.pop(1)
        secondary.append(
            {
                "measure": "Cost-effectiveness of adjuvant pembrolizumab",
                "timeFrame": "Up to 5 years",
            }
        )

    _, changes = _changed(edit)
    assert [(c.kind, c.summary) for c in changes] == [
        ("removed", "Secondary outcome removed: Incidence of adverse events"),
        (
            "added",
            f"Secondary outcome {len(BASE['secondary_outcomes'])} added: "
            "Cost-effectiveness of adjuvant pembrolizumab",
        ),
    ]


def test_outcomes_swapped_between_primary_and_secondary_are_two_major_moves() -> None:
    def edit(ps: dict[str, Any]) -> None:
        module = _outcomes(ps)
        primary, secondary = module["primaryOutcomes"], module["secondaryOutcomes"]
        module["primaryOutcomes"], module["secondaryOutcomes"] = (
            [secondary[0]],
            [primary[0], *secondary[1:]],
        )

    _, changes = _changed(edit)
    assert [(c.field, c.kind, c.significance, c.summary) for c in changes] == [
        (
            "primary_outcomes",
            "moved",
            "major",
            "Secondary outcome 1 moved to the primary outcomes: Overall survival (OS)",
        ),
        (
            "primary_outcomes",
            "moved",
            "major",
            "Primary outcome 1 moved to the secondary outcomes: Disease free survival (DFS)",
        ),
    ]


def test_a_new_primary_outcome_and_the_old_one_demoted() -> None:
    def edit(ps: dict[str, Any]) -> None:
        module = _outcomes(ps)
        module["secondaryOutcomes"].insert(0, module["primaryOutcomes"][0])
        module["primaryOutcomes"] = [
            {"measure": "Pathological complete response", "timeFrame": "At surgery"}
        ]

    _, changes = _changed(edit)
    assert _triples(changes) == [
        ("primary_outcomes", "moved", "major"),
        ("primary_outcomes", "added", "major"),
    ]


# -- the other registers' records ------------------------------------------------------------


def _euctr(text: str) -> dict[str, Any]:
    items = group_records(text, "t")["EUCTR2022-002568-62-ES"]
    return normalize_record(items[0][0], "EUCTR2022-002568-62-ES")


def test_euctr_member_state_size_and_reflowed_criteria() -> None:
    text = (
        DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
    ).read_text(encoding="utf-8")
    base = _euctr(text)
    resized = _euctr(
        text.replace("F.4.1 In the member state: 5", "F.4.1 In the member state: 3", 1)
    )
    assert [(c.field, c.summary) for c in diff_records(base, resized)] == [
        ("target_sample_size_member_state", "Target sample size in the member state: 5 → 3 (−40%)")
    ]
    reflowed = _euctr(text.replace("\n", "  \r\n"))
    assert diff_records(base, reflowed) == []
    assert content_hash(reflowed) == content_hash(base)


def test_ictrp_last_refreshed_is_metadata_and_line_order_no_change() -> None:
    page = (DATA / "ictrp" / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt").read_text(
        encoding="utf-8"
    )
    base = record_from_row(read_page_text(page, "p"))
    refreshed = page.replace(
        "Last refreshed on: 20 August 2018", "Last refreshed on: 21 August 2018"
    )
    assert [
        (c.field, c.significance)
        for c in diff_records(base, record_from_row(read_page_text(refreshed, "p")))
    ] == [("last_refreshed", "metadata")]
    conditions = (
        "Treatment of Systemic Lupus Erythematosus refractory to standard treatments.\n"
        "MedDRA version: 20.0"
    )
    swapped = page.replace(conditions, "MedDRA version: 20.0", 1).replace(
        "Therapeutic area: Diseases [C] - Immune System Diseases [C20]",
        "Therapeutic area: Diseases [C] - Immune System Diseases [C20]\nTreatment of Systemic "
        "Lupus Erythematosus refractory to standard treatments.",
        1,
    )
    assert swapped != page
    assert diff_records(base, record_from_row(read_page_text(swapped, "p"))) == []


# -- rules from the config -------------------------------------------------------------------


def _pair() -> tuple[dict[str, Any], dict[str, Any]]:
    old = empty_record("NCT01234567", "ctgov", "ctgov") | {
        "recruitment_status": "RECRUITING",
        "status": "recruiting",
        "countries": ["France"],
        "last_updated": "2026-01-01",
    }
    return old, old | {
        "countries": ["France", "Spain"],
        "last_updated": "2026-02-01",
        "status": "unknown",
    }


def test_a_field_can_be_moved_to_another_class_or_ignored() -> None:
    old, new = _pair()
    assert _triples(diff_records(old, new)) == [
        ("last_updated", "changed", "metadata"),
        ("status", "changed", "major"),
        ("countries", "added", "minor"),
    ]
    rules = DiffRules(significance={"countries": "major"}, ignore=frozenset({"last_updated"}))
    assert _triples(diff_records(old, new, rules)) == [
        ("status", "changed", "major"),
        ("countries", "added", "major"),
    ]


def test_a_derived_field_shows_only_when_its_source_did_not_change() -> None:
    old, new = _pair()
    new = new | {"recruitment_status": "COMPLETED", "status": "completed"}
    assert [c.field for c in diff_records(old, new)] == [
        "last_updated",
        "recruitment_status",
        "countries",
    ]


def test_an_adapters_own_structured_field_falls_back_to_deepdiff() -> None:
    old = empty_record("X", "ctgov", "ctgov") | {"arms": [{"label": "A", "type": "EXP"}]}
    new = old | {"arms": [{"label": "A", "type": "ACTIVE_COMPARATOR"}]}
    [c] = diff_records(old, new)
    assert (c.field, c.old, c.new) == ("arms", "EXP", "ACTIVE_COMPARATOR")
    assert "[0].type" in c.summary


def test_summarize_counts_by_significance() -> None:
    _, changes = _changed(lambda ps: ps["statusModule"].update(overallStatus="COMPLETED"))
    assert summarize(changes) == {"major": 1, "minor": 0, "metadata": 0}


@pytest.mark.parametrize("threshold, kinds", [(0.5, ["reworded"]), (0.99, ["removed", "added"])])
def test_the_similarity_threshold_decides_reworded_or_replaced(
    threshold: float, kinds: list[str]
) -> None:
    old = empty_record("X", "ctgov", "ctgov") | {"conditions": ["Non-small cell lung cancer"]}
    new = old | {"conditions": ["Non-small cell lung cancer stage II"]}
    assert [c.kind for c in diff_records(old, new, DiffRules(similarity=threshold))] == kinds


def test_a_reflowed_outcome_is_no_change() -> None:
    old = empty_record("X", "ctgov", "ctgov") | {
        "primary_outcomes": ["Overall survival\nTime frame: 5 years"]
    }
    new = old | {"primary_outcomes": ["Overall  survival\n\nTime frame:\n5 years"]}
    assert diff_records(old, new) == []
