"""One European trial told once: member-state cards of one EUCTR trial merge into one card
whose changes name their member states; other trials stay as they are."""

from __future__ import annotations

from watcher.report.grouping import one_card_per_trial
from watcher.report.views import ChangeView, TrialView

SIZE = ChangeView("major", "changed", "Target sample size", "Target sample size: 600 → 450", ())
STATUS = ChangeView("major", "changed", "Recruitment status", "Recruitment status: A → B", ())
SITES = ChangeView("minor", "changed", "Sites", "Sites: added Lyon", ())


def _card(trial_id: str, *changes: ChangeView) -> TrialView:
    counts = {s: sum(c.significance == s for c in changes) for s in ("major", "minor", "metadata")}
    return TrialView(trial_id, "Masitinib in ALS", None, "euctr", (), 1, 2, changes, counts)


def test_the_member_states_of_one_trial_make_one_card_naming_them() -> None:
    whole = "EUCTR2021-002179-21"
    cards = [
        _card(f"{whole}-{state}", SIZE, *([SITES] if state == "FR" else []))
        for state in ("PT", "ES", "FR", "GR", "HU", "PL")
    ] + [_card("NCT04267848", STATUS)]
    merged = {c.trial_id: c for c in one_card_per_trial(cards)}
    assert sorted(merged) == ["EUCTR2021-002179-21", "NCT04267848"]  # two trials, not seven
    card = merged[whole]
    assert [c.summary for c in card.changes] == [
        "Target sample size: 600 → 450: ES, FR, GR, HU, PL, PT",
        "Sites: added Lyon: FR",
    ]
    assert dict(card.counts) == {"major": 1, "minor": 1, "metadata": 0}
    assert merged["NCT04267848"] == cards[-1]


def test_a_member_state_alone_in_its_trial_keeps_its_own_card() -> None:
    alone = _card("EUCTR2021-002179-21-FR", SIZE)
    assert one_card_per_trial([alone]) == [alone]


def test_counts_are_of_trials_not_of_register_records() -> None:
    """A whole EUCTR trial's watch and its member-state records count as one trial (the
    digest's "2 of 2 watched trials", not "2 of 8")."""
    from watcher.report.grouping import trial_count

    whole = "EUCTR2021-002179-21"
    ids = [whole, *(f"{whole}-{s}" for s in ("ES", "FR", "PT")), "NCT04267848"]
    assert trial_count(ids) == 2
    assert trial_count([f"{whole}-FR"]) == 1
