"""A floor under watcher's agreement with meta-research raters on primary-outcome changes
(bench/bench_outcome_ratings.py prints the figures; docs/benchmarks.md keeps them): no real
change is ever missed, and agreement never falls below what it is today."""

from __future__ import annotations

from tests.outcome_ratings import pairs, primary_changes


def test_no_real_outcome_change_is_missed_and_agreement_holds_its_floor() -> None:
    rated = list(pairs())
    assert len(rated) == 140 and sum(p.cosmetic for p in rated) == 58
    said = {p.reference: bool(primary_changes(p)) for p in rated}
    real = [p for p in rated if not p.cosmetic]
    assert all(said[p.reference] for p in real), [
        p.reference for p in real if not said[p.reference]
    ]
    agreed = sum(said[p.reference] != p.cosmetic for p in rated)
    assert agreed / len(rated) >= 0.63
