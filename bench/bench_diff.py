"""CPU time of hashing and diffing two versions of the largest real record, NCT04267848.

Run: .venv/bin/python bench/bench_diff.py  (numbers go to docs/benchmarks.md by hand)

Each scenario is timed with time.process_time over many calls; the median of 7 rounds is
printed per call. DeepDiff on the whole record is timed for comparison: it is what the diff
avoids by comparing field by field and handing DeepDiff only fields of no known shape.
"""

from __future__ import annotations

import copy
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from deepdiff import DeepDiff

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watcher.core.diff import diff_records
from watcher.core.hashing import content_hash
from watcher.sources.ctgov_study import normalize_study

RAW = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "data"
    / "ctgov"
    / ("ctgov_v2_study_NCT04267848_full_raw.json")
)


def per_call_ms(fn: Callable[[], Any], calls: int, rounds: int = 7) -> float:
    results = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            fn()
        results.append((time.process_time() - start) / calls * 1000)
    return statistics.median(results)


def main() -> None:
    raw = RAW.read_bytes()
    study = orjson.loads(raw)
    old = normalize_study(study)

    typical = copy.deepcopy(study)
    ps = typical["protocolSection"]
    ps["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    ps["designModule"]["enrollmentInfo"]["count"] = 1100
    ps["outcomesModule"]["secondaryOutcomes"][0]["measure"] = "Overall survival (OS) at 5 years"
    ps["contactsLocationsModule"]["locations"][10]["status"] = "COMPLETED"
    typical_record = normalize_study(typical)

    heavy = copy.deepcopy(study)
    ps = heavy["protocolSection"]
    ps["contactsLocationsModule"]["locations"] = ps["contactsLocationsModule"]["locations"][100:]
    ps["outcomesModule"]["secondaryOutcomes"].reverse()
    ps["outcomesModule"]["primaryOutcomes"], ps["outcomesModule"]["secondaryOutcomes"] = (
        ps["outcomesModule"]["secondaryOutcomes"][:1],
        ps["outcomesModule"]["primaryOutcomes"] + ps["outcomesModule"]["secondaryOutcomes"][1:],
    )
    ps["eligibilityModule"]["eligibilityCriteria"] += "\n* One more criterion"
    heavy_record = normalize_study(heavy)
    same = normalize_study(study)

    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{platform.processor() or 'cpu'}; record {len(raw) // 1024} KB raw, "
        f"{len(orjson.dumps(old)) // 1024} KB normalized, {len(old['sites'])} sites"
    )
    rows = [
        ("normalize the raw study", per_call_ms(lambda: normalize_study(orjson.loads(raw)), 20)),
        ("content hash", per_call_ms(lambda: content_hash(old), 50)),
        ("diff, nothing changed", per_call_ms(lambda: diff_records(old, same), 50)),
        (
            "diff, typical change (4 fields)",
            per_call_ms(lambda: diff_records(old, typical_record), 50),
        ),
        (
            "diff, heavy change (100 sites, outcome swap)",
            per_call_ms(lambda: diff_records(old, heavy_record), 20),
        ),
        (
            "DeepDiff on the whole record, nothing changed (for comparison)",
            per_call_ms(lambda: DeepDiff(old, same), 3, rounds=3),
        ),
        (
            "DeepDiff on the whole record, typical change, ignore_order (for comparison)",
            per_call_ms(lambda: DeepDiff(old, typical_record, ignore_order=True), 1, rounds=3),
        ),
    ]
    for name, ms in rows:
        print(f"{ms:9.3f} ms  {name}")


if __name__ == "__main__":
    main()
