"""What the office's periodic reading costs as the watch list grows: the weekly digest, the
period report (HTML), the change feed (Atom), `status --json` (what /healthz answers), `list
--json` and one trial's history, each the real `watcher` command in its own process on a
SQLite database of N watched CT.gov trials (bench/office.py: one in ten changed, or one in
``--changed-every``, in the four weeks before the run; a kept database ages out of it).

    python bench/bench_period.py [--trials 1000 10000] [--keep DIR] [--changed-every 10]

Prints, for each N, each command's wall and CPU seconds and peak RSS (the child's own, from
wait4), and how each grows from the smallest N to the others (1.0 a trial: linear).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Run, machine, watcher
from bench.office import fill, trial_ids

# The fixture's first versions are stored two months ago, its changes over the three weeks
# that end a week ago: the period read is the four weeks before today.
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
FIRST, SINCE = TODAY - timedelta(days=60), (TODAY - timedelta(days=28)).date().isoformat()


def commands(first: str) -> dict[str, list[str]]:
    return {
        "digest (text)": ["digest", "--since", SINCE, "--out", "/dev/null"],
        "report (html)": ["report", "--since", SINCE, "--format", "html", "--out", "/dev/null"],
        "feed (atom)": ["report", "--since", SINCE, "--format", "atom", "--out", "/dev/null"],
        "status --json": ["status", "--json"],
        "list --json": ["list", "--json"],
        "one trial's history": ["report", "--trial", first, "--out", "/dev/null"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--keep", type=Path, help="build the databases here, or use them again")
    parser.add_argument(
        "--changed-every", type=int, default=10, help="one trial in this many changed (1: all)"
    )
    args = parser.parse_args()
    print(machine())
    results: dict[int, dict[str, Run]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep.resolve() if args.keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for n in args.trials:
            path = where / f"office-{n}-{args.changed_every}.db"
            database = f"sqlite:///{path}"
            ids = trial_ids(n)
            if not path.exists():
                started = time.perf_counter()
                fill(database, ids, args.changed_every, at=FIRST, spread=21, later=32)
                print(f"built {n} trials in {time.perf_counter() - started:.0f} s")
            config = where / f"office-{n}.toml"
            config.write_text(
                f'[database]\nurl = "{database}"\n[email]\nenabled = false\n', encoding="utf-8"
            )
            results[n] = {}
            for name, argv in commands(ids[0]).items():
                run = watcher(argv, config)
                assert run.returncode in (0, 1), (name, run.returncode, run.stdout[-500:])
                results[n][name] = run
                print(
                    f"N={n:>6} {name:22} wall {run.wall:7.2f} s, CPU {run.cpu:7.2f} s, "
                    f"peak RSS {run.max_rss_mb:6.0f} MB"
                )
    smallest = min(results)
    for n in sorted(results)[1:]:
        print(f"growth from N={smallest} to N={n} ({n / smallest:.0f}x trials), CPU:")
        for name, run in results[n].items():
            base = results[smallest][name].cpu
            print(f"  {name:22} {run.cpu / base:5.1f}x")


if __name__ == "__main__":
    main()
