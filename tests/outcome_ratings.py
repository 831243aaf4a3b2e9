"""The meta-research raters' outcome pairs (tests/data/outcome-ratings/ratings-dev.tsv, see
PROVENANCE.tsv there) turned into CT.gov records and compared by watcher's own diff: how far
watcher's judgement of a primary-outcome change agrees with the raters'.

Each row holds one trial's primary (and secondary) outcomes at two dates, as cthist read CT.gov's
archive: JSON lists of ``{"section", "label", "content"}``, written with doubled quotes, where
``content`` is "measure\\n[ Time Frame: … ]\\n\\ndescription". ``multi_select_no_change`` = 1
means the raters judged the edit cosmetic; any other label is a real change.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from watcher.core.diff import diff_records
from watcher.core.model import FieldChange, Record
from watcher.sources.ctgov_study import normalize_study

RATINGS = Path(__file__).parent / "data" / "outcome-ratings" / "ratings-dev.tsv"
LABELS = (
    "new_primary",
    "primary_from_secondary",
    "change_measurement",
    "change_aggregation",
    "change_timing",
    "added_measurement",
    "added_aggregation",
    "added_timing",
    "omitted_measurement",
    "omitted_aggregation",
    "omitted_timing",
    "primary_to_secondary",
    "primary_omitted",
    "points_to_results",
    "no_change",
)
_TIME_FRAME = re.compile(r"\n?\[\s*Time Frame:\s*(.*?)\s*\]", re.S)


@dataclass(frozen=True, slots=True)
class Pair:
    reference: str
    trial_id: str
    labels: frozenset[str]
    before: Record
    after: Record

    @property
    def cosmetic(self) -> bool:
        return "no_change" in self.labels


def _outcomes(cell: str) -> list[dict[str, Any]]:
    if not cell or cell == "NULL":
        return []
    text = cell.replace('""', '"')
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError:
        # A cell holding a quoted word ("no itch") was escaped once more throughout: its quote
        # is written \\" and its line break \\n.
        try:
            items = orjson.loads(text.replace("\\\\", "\\"))
        except orjson.JSONDecodeError:
            return [{"content": cell}]  # "No outcome specified…"
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _measure(item: dict[str, Any]) -> dict[str, str]:
    """One outcome as CT.gov's API gives it: measure, time frame, description."""
    text = str(item.get("content") or "").replace("\\n", "\n")
    found = _TIME_FRAME.search(text)
    time_frame = found.group(1) if found else ""
    measure, _, description = (
        (text[: found.start()], "", text[found.end() :]) if found else text.partition("\n\n")
    )
    out = {"measure": measure.strip(), "description": description.strip()}
    if time_frame:
        out["timeFrame"] = time_frame
    return {k: v for k, v in out.items() if v}


def _study(trial_id: str, primary: str, secondary: str) -> Record:
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": trial_id},
            "outcomesModule": {
                "primaryOutcomes": [_measure(i) for i in _outcomes(primary)],
                "secondaryOutcomes": [_measure(i) for i in _outcomes(secondary)],
            },
        }
    }
    return normalize_study(study)


def pairs(path: Path = RATINGS) -> Iterator[Pair]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            labels = frozenset(
                name for name in LABELS if row.get(f"multi_select_{name}", "").strip() == "1"
            )
            tid = row["trial_id"].strip()
            yield Pair(
                row["referenceid"],
                tid,
                labels,
                _study(tid, row["p_outcome_a"], row["s_outcome_a"]),
                _study(tid, row["p_outcome_b"], row["s_outcome_b"]),
            )


def primary_changes(pair: Pair) -> list[FieldChange]:
    """watcher's major changes of the primary outcomes between the pair's two versions."""
    return [
        c
        for c in diff_records(pair.before, pair.after)
        if (c.field == "primary_outcomes" and c.significance == "major")
        or (c.field == "secondary_outcomes" and c.kind == "moved")
    ]
