"""What changed in an outcome, in meta-research raters' terms (watcher.core.outcomes)."""

from __future__ import annotations

from watcher.core.outcomes import aspects, parts, said

CTGOV = "Overall survival\nTime frame: 12 months\nDescription: From randomization to death."


def test_the_parts_of_an_outcome_in_each_register_form() -> None:
    assert parts(CTGOV).time_frame == "12 months"
    assert parts(CTGOV).measure == "Overall survival"
    assert parts(CTGOV).description == "From randomization to death."
    ictrp = parts("Overall survival [Time Frame: 12 months]")
    assert (ictrp.measure, ictrp.time_frame) == ("Overall survival", "12 months")
    plain = parts("Overall survival at one year")
    assert (plain.measure, plain.time_frame, plain.description) == (
        "Overall survival at one year",
        "",
        "",
    )


def test_case_punctuation_and_spacing_are_wording() -> None:
    assert aspects(CTGOV, CTGOV.replace("Overall survival", "Overall  Survival.")) == ("wording",)
    assert said("Primary outcome", 1, ("wording",), "", "") == (
        "Primary outcome 1: rewording of the same outcome"
    )


def test_each_part_that_changed_is_named() -> None:
    assert aspects(CTGOV, CTGOV.replace("12 months", "24 months")) == ("time_frame",)
    assert aspects(CTGOV, CTGOV.replace("Overall survival", "Progression-free survival")) == (
        "measure",
    )
    bare = "Overall survival\nTime frame: 12 months"
    assert aspects(bare, CTGOV) == ("detail_added",)
    assert aspects(CTGOV, bare) == ("detail_omitted",)
    assert said(
        "Primary outcome", 2, ("time_frame",), CTGOV, CTGOV.replace("12 months", "24 months")
    ) == ("Primary outcome 2: time frame changed (12 months → 24 months)")


def test_the_re_titling_of_results_entry_is_wording() -> None:
    """CT.gov asks for a measure title at results entry: the same outcome, re-titled, with a
    description that tells nothing the old text did not."""
    planned = "Proportion of subjects with HIV-1 RNA < 50 copies/mL\nTime frame: 48 weeks"
    posted = (
        "Percentage of Participants With HIV-1 RNA < 50 Copies/mL at Week 48\n"
        "Time frame: Week 48\n"
        "Description: Percentage of participants with HIV-1 RNA below 50 copies/mL."
    )
    assert aspects(planned, posted) == ("wording",)


def test_a_real_change_is_never_wording() -> None:
    composite = "Death, myocardial infarction or stroke\nTime frame: 2 years"
    # A component of a composite dropped; the time frame moved; a definition given.
    assert aspects(composite, composite.replace(" or stroke", "")) == ("measure",)
    assert aspects(composite, composite.replace("2 years", "3 years")) == ("time_frame",)
    defined = composite + "\nDescription: Adjudicated by a blinded clinical events committee."
    assert aspects(composite, defined) == ("detail_added",)
    assert aspects("Mortality", "Cardiovascular mortality") == ("measure",)


def test_a_duration_is_a_number_beside_its_unit() -> None:
    """ "Visit 4 (Week 12)" names week 12, not four weeks; "33.9 months" is one number; a
    measure that ends in a number does not lend it to the time frame after it."""
    visit = "ACR 20 response rate\nTime frame: Visit 4 (Week 12)"
    assert aspects(visit, visit.replace("Visit 4 (Week 12)", "Week 12 (Visit 4)")) == ("wording",)
    assert aspects(CTGOV, CTGOV.replace("12 months", "33.9 months")) == ("time_frame",)
    strata = "Overall survival (CSR 9-July-12)\nTime frame: Day 1 up to 4 years"
    assert aspects(strata, strata.replace("survival", "Survival")) == ("wording",)
    assert aspects(strata, strata.replace("CSR 9-July-12", "CSR 9-July-12 at 12 days")) != (
        "wording",
    )
