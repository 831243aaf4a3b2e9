"""What a trial costs to store, on real and varied records (not one record cloned): each
register's records as watcher keeps them (the normalized record, and the register's payload
where the shared samples hold it per trial), compressed as the store compresses them, and
what a zstd dictionary trained on the register's other records would save.

    python bench/bench_storage.py [--dict-size 16384]

The records: CT.gov, the single studies and the studies of the search pages in tests/data/ctgov
and its daily pairs (tests/data/ctgov-versions); CTIS, the retrieve answers (tests/data/ctis,
ctis-versions); ICTRP, the 2024 export part, the COVID-19 XML export and CSV downloads
(tests/data/ictrp, ictrp-versions). A later version is stored against the one before
(``codec.DELTA``): its cost is measured on the real pairs (CT.gov daily captures, CTIS 2024
against 2026, the ICTRP CSV download of 7 against 15 April 2020).

A trained dictionary is measured leave-one-out: each record compressed with a dictionary
trained on every other record of its register (the same record never helps itself).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Iterable
from itertools import pairwise
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watcher.sources import get as get_source
from watcher.store.codec import DELTA, FULL, pack

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _settings():  # type: ignore[no-untyped-def]
    from watcher.config import from_mapping

    return from_mapping({}, "bench", env={})


def ctgov() -> list[tuple[str, bytes, bytes]]:
    """(trial ID, payload, record) of every distinct real CT.gov study."""
    source = get_source("ctgov", _settings())
    out: dict[str, tuple[str, bytes, bytes]] = {}
    files = [
        *sorted((DATA / "ctgov").glob("*.json")),
        *sorted((DATA / "ctgov-versions").glob("*_before.json")),
    ]
    for path in files:
        if path.name.endswith(".expected.json"):
            continue
        doc = orjson.loads(path.read_bytes())
        studies = doc.get("studies") if isinstance(doc, dict) and "studies" in doc else [doc]
        for study in studies:
            if not isinstance(study, dict) or "protocolSection" not in study:
                continue
            raw = orjson.dumps(study)
            for record in source.parse_file(raw, path.name):
                out.setdefault(record["trial_id"], (record["trial_id"], raw, orjson.dumps(record)))
    return list(out.values())


def ctis() -> list[tuple[str, bytes, bytes]]:
    source = get_source("ctis", _settings())
    out: dict[str, tuple[str, bytes, bytes]] = {}
    for path in [
        *sorted((DATA / "ctis").glob("ctis_retrieve_*.json")),
        *sorted((DATA / "ctis-versions").glob("*.json")),
    ]:
        if path.name.endswith(".expected.json"):
            continue
        raw = path.read_bytes()
        for record in source.parse_file(raw, path.name):
            out.setdefault(record["trial_id"], (record["trial_id"], raw, orjson.dumps(record)))
    return list(out.values())


def ictrp() -> list[tuple[str, bytes, bytes]]:
    """ICTRP's records (its payload per trial, a trial page, is not in the samples)."""
    source = get_source("ictrp", _settings())
    out: dict[str, tuple[str, bytes, bytes]] = {}
    for path in [
        DATA / "ictrp" / "ictrp-export-2024-06-09-part-a.xml",
        DATA / "ictrp-versions" / "ictrp-covid19-xml-2020-03-18.xml",
        DATA / "ictrp-versions" / "ictrp-covid19-csv" / "2020-04-07.csv",
    ]:
        for record in source.parse_file(path.read_bytes(), path.name):
            out.setdefault(record["trial_id"], (record["trial_id"], b"", orjson.dumps(record)))
    return list(out.values())


def pairs() -> dict[str, list[tuple[bytes, bytes]]]:
    """Real (before, after) normalized records of one trial, by register."""
    settings = _settings()
    found: dict[str, list[tuple[bytes, bytes]]] = {"ctgov": [], "ctis": [], "ictrp": []}
    ct = get_source("ctgov", settings)
    for before in sorted((DATA / "ctgov-versions").glob("*_before.json")):
        after = next(before.parent.glob(before.name.split("_")[0] + "_*_after.json"))
        a, b = (ct.parse_file(p.read_bytes(), p.name)[0] for p in (before, after))
        found["ctgov"].append((orjson.dumps(a), orjson.dumps(b)))
    eu = get_source("ctis", settings)
    by_trial: dict[str, list[Path]] = {}
    for path in sorted((DATA / "ctis-versions").glob("*.json")):
        by_trial.setdefault(path.name.split("__")[0], []).append(path)
    for paths in by_trial.values():
        records = [
            eu.parse_file(p.read_bytes(), p.name)[0]
            for p in sorted(paths, key=lambda p: p.name.rsplit("imported-", 1)[1])
        ]
        found["ctis"] += [(orjson.dumps(x), orjson.dumps(y)) for x, y in pairwise(records)]
    who = get_source("ictrp", settings)
    csv = DATA / "ictrp-versions" / "ictrp-covid19-csv"
    early = {r["trial_id"]: r for r in who.parse_file((csv / "2020-04-07.csv").read_bytes(), "a")}
    late = {r["trial_id"]: r for r in who.parse_file((csv / "2020-04-15.csv").read_bytes(), "b")}
    found["ictrp"] = [
        (orjson.dumps(early[t]), orjson.dumps(late[t])) for t in sorted(early) if t in late
    ]
    return found


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values) or [0])


def trained(blobs: list[bytes], size: int) -> Callable[[int], bytes]:
    """Each blob compressed with a dictionary trained on the others (leave-one-out)."""
    from watcher.store.codec import LEVEL, zstd

    def one(i: int) -> bytes:
        others = blobs[:i] + blobs[i + 1 :]
        try:
            d = zstd.train_dict(others, size)
        except zstd.ZstdError:
            return pack(blobs[i], FULL)  # too few or too small samples to train on
        return zstd.compress(blobs[i], LEVEL, zstd_dict=d)

    return one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dict-size", type=int, default=16 * 1024)
    args = parser.parse_args()
    columns = [
        "register",
        "trials",
        "record (JSON)",
        "record, zstd",
        "record, trained dictionary",
        "payload",
        "payload, zstd",
        "payload, trained dictionary",
        "a later version (delta)",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    later = pairs()
    for name, load in (("ctgov", ctgov), ("ctis", ctis), ("ictrp", ictrp)):
        rows = load()
        records = [r for _, _, r in rows]
        payloads = [p for _, p, _ in rows if p]
        rec_dict = trained(records, args.dict_size)
        pay_dict = trained(payloads, args.dict_size)
        deltas = [len(pack(after, DELTA, before)) for before, after in later[name]]

        def kb(n: float) -> str:
            return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n:.0f} B"

        cells = [
            name,
            str(len(rows)),
            kb(_median(len(r) for r in records)),
            kb(_median(len(pack(r, FULL)) for r in records)),
            kb(_median(len(rec_dict(i)) for i in range(len(records)))),
            kb(_median(len(p) for p in payloads)) if payloads else "-",
            kb(_median(len(pack(p, FULL)) for p in payloads)) if payloads else "-",
            kb(_median(len(pay_dict(i)) for i in range(len(payloads)))) if payloads else "-",
            f"{kb(_median(deltas))} ({len(deltas)} pairs)" if deltas else "-",
        ]
        print("| " + " | ".join(cells) + " |", flush=True)
    print("\n(medians per trial)")


if __name__ == "__main__":
    main()
