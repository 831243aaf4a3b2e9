"""How far watcher's judgement of primary-outcome changes agrees with meta-research raters'.

Run: .venv/bin/python bench/bench_outcome_ratings.py  (figures go to docs/benchmarks.md)

The rated pairs (tests/data/outcome-ratings/ratings-dev.tsv: 140 pairs of one trial's primary
outcomes at two dates, rated by the raters of Holst et al., "Invisible outcome changes", PLOS
Medicine 2023) are turned into CT.gov records and compared by watcher's own diff
(tests/outcome_ratings.py). watcher "says a change" when it reports a major change of the
primary outcomes (a reworded, added, removed or moved one); the raters say one unless they
judged the edit cosmetic. Printed: agreement, recall of the real changes, and for each label
of the raters how many of its pairs watcher called a change.

With ``--frontier``: the same figures as the rules on descriptions loosen, from today's
thresholds to descriptions ignored altogether, to show what each point of agreement costs in
recall (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.outcome_ratings import Pair, pairs, primary_changes
from watcher.core import outcomes


def scores(rated: list[Pair]) -> tuple[dict[str, bool], int, int]:
    """watcher's verdict on each pair; the real changes and cosmetic edits it got right."""
    said = {p.reference: bool(primary_changes(p)) for p in rated}
    tp = sum(said[p.reference] for p in rated if not p.cosmetic)
    tn = sum(not said[p.reference] for p in rated if p.cosmetic)
    return said, tp, tn


def frontier(rated: list[Pair]) -> None:
    """Agreement and recall as a description may say more and more that is new."""
    real = sum(not p.cosmetic for p in rated)
    print("description novel / edited at most | agreement | recall")
    for novel, edited in ((0.2, 0.4), (0.4, 0.5), (0.6, 0.6), (0.8, 0.8), (1.0, 1.0)):
        outcomes._NOVEL, outcomes._EDITED = (
            novel,
            edited,
        )  # the rules' knobs, as the bench turns them
        _, tp, tn = scores(rated)
        print(f"{novel:.0%} / {edited:.0%} | {(tp + tn) / len(rated):.1%} | {tp / real:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--frontier", action="store_true")
    rated = list(pairs())
    if parser.parse_args().frontier:
        frontier(rated)
        return
    said, tp, tn = scores(rated)
    real = [p for p in rated if not p.cosmetic]
    cosmetic = [p for p in rated if p.cosmetic]
    print(f"pairs: {len(rated)} ({len(real)} real changes, {len(cosmetic)} cosmetic)")
    print(f"agreement: {(tp + tn) / len(rated):.1%}")
    print(f"recall of real changes: {tp / len(real):.1%} ({tp} of {len(real)})")
    print(f"cosmetic edits told as such: {tn} of {len(cosmetic)}")
    per_label: Counter[str] = Counter()
    called: Counter[str] = Counter()
    for p in rated:
        for label in p.labels:
            per_label[label] += 1
            called[label] += said[p.reference]
    print("label | pairs | watcher says a change")
    for label, count in per_label.most_common():
        print(f"{label} | {count} | {called[label]}")


if __name__ == "__main__":
    main()
