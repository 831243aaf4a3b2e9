"""The memory and time of a check of 1,000 CT.gov trials with a 1 GB gzip bomb among them.

    python bench/bench_hostile.py [--trials 1000]

Three runs of `watcher check --json` against the tests' register on loopback, each after the
1,000 trials were added: nothing hostile; one trial's own answer a 1 MB gzip bomb of 1 GB;
the first page of the batch answer such a bomb; one study of the page an array nested 100,000
deep. Peak RSS is the watcher process's own (wait4).
The figures go into docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import machine, watcher, write_config  # noqa: E402
from tests.registry_server import (  # noqa: E402
    SMALL_STUDY,
    Fault,
    RegistryServer,
    RegistryState,
    gzip_bomb,
    load_study,
    study_as,
)

GB = 1024**3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=1000)
    n = parser.parse_args().trials
    ids = [f"NCT{90000000 + i:08d}" for i in range(n)]
    small = load_study(SMALL_STUDY)
    state = RegistryState(studies={nct: orjson.dumps(study_as(small, nct)) for nct in ids})
    gzip_bomb(GB)  # made once, before anything is timed
    print(f"# {n} CT.gov trials, {machine()}")
    print("| run | result | wall s | peak RSS MB |")
    print("|---|---|---|---|")
    with RegistryServer(state) as server, tempfile.TemporaryDirectory() as tmp:
        config = write_config(
            Path(tmp) / "w.toml", server.url, f"sqlite:///{tmp}/w.db", "requests_per_minute = 6000"
        )
        listing = Path(tmp) / "ids.txt"
        listing.write_text("\n".join(ids) + "\n")
        added = watcher(["import", str(listing)], config)
        assert added.returncode == 0, added
        cases = {
            "nothing hostile": {},
            "one trial's answer: a 1 GB gzip bomb": {
                ids[n // 2]: Fault(mode="bomb", size=GB, content_type="application/json")
            },
            "the batch page: a 1 GB gzip bomb": {
                "batch": Fault(mode="bomb", size=GB, content_type="application/json", times=1)
            },
        }
        deep_id = ids[n // 3]
        plain = state.studies[deep_id]
        deep = plain[:-1] + b', "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        for name, faults in [*cases.items(), ("one study of the page: 100,000 deep (200 KB)", {})]:
            state.faults.clear()
            state.faults.update(faults)
            state.studies[deep_id] = deep if name.startswith("one study") else plain
            run = watcher(["check", "--json"], config)
            report = orjson.loads(run.stdout)
            failed = ", ".join(f["error"][:90] for f in report["failed"]) or "none"
            print(
                f"| {name} | {report['checked']} checked, failed: {failed} | "
                f"{run.wall:.1f} | {run.max_rss_mb:.0f} |"
            )


if __name__ == "__main__":
    main()
