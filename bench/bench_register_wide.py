"""A whole register watched: N CT.gov trials (600,000 by default, about CT.gov's size) in the
local stand-in, through the real `watcher` command: the first sweep, a daily cycle that asks
CT.gov which studies changed since the last one, and a full sweep.

Run:  .venv/bin/python bench/bench_register_wide.py --trials 600000 [--postgres]

The stand-in (bench/register.py) renders each study when asked, from one template per
revision, so 600,000 trials cost the register kilobytes. Each step is one `watcher` process
(CPU and peak RSS from wait4); the CT.gov request budget is watcher's default (50 a minute),
so a step's wall time includes the pauses CT.gov asks for. The daily cycle changes
``--changed`` of the trials first (their status, enrolment and last update date), as a day of
CT.gov's updates would; the full sweep is the same configuration with ``full_sweep = ""``
(every cycle a full sweep), after no further change.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_cycle import database
from bench.harness import Run, control, db_size_mb, machine, register, watcher, write_config
from bench.register import ctgov_ids


def served(url: str) -> tuple[int, int]:
    """Requests and CT.gov studies the register answered since its last reset."""
    stats = control(url, "/_bench/stats")
    control(url, "/_bench/reset", "POST")
    return sum(stats["requests"].values()), int(stats["studies"])


def row(step: str, run: Run, n: int, requests: int, studies: int, size_mb: float) -> str:
    return (
        f"| {step} | {run.wall:,.0f} s | {run.cpu:,.1f} s | {run.cpu / n * 1000:.2f} ms "
        f"| {run.max_rss_mb:,.0f} MB | {requests:,} | {studies:,} | {size_mb:,.0f} MB "
        f"| {size_mb * 2**20 / n / 1024:.1f} KB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=600_000)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    parser.add_argument("--changed", type=float, default=0.002, help="share changed in a day")
    parser.add_argument("--workdir", help="keep the database here (default: a temporary one)")
    args = parser.parse_args()
    n = args.trials
    print(machine())
    print(f"{n:,} CT.gov trials, {'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)
    print(
        "| step | wall | CPU | CPU a trial | peak RSS | requests | studies served "
        "| database | database a trial |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with (
        tempfile.TemporaryDirectory(dir=args.workdir) as tmp,
        register("--ctgov", str(n)) as url,
        database(args.postgres, Path(tmp)) as db,
    ):
        here = Path(tmp)
        daily = write_config(here / "watcher.toml", url, db)
        sweep = write_config(here / "sweep.toml", url, db, ctgov='full_sweep = ""')
        (here / "ids.txt").write_text("\n".join(ctgov_ids(n)) + "\n")
        steps: list[tuple[str, list[str], Path, float]] = [
            ("import (no fetch)", ["import", str(here / "ids.txt"), "--no-fetch"], daily, 0),
            ("first sweep", ["check", "--json"], daily, 0),
            (f"daily cycle, {args.changed:.1%} changed", ["check", "--json"], daily, args.changed),
            ("full sweep, no change", ["check", "--json"], sweep, 0),
            ("status", ["status", "--json"], daily, 0),
        ]
        for step, command, config, change in steps:
            if change:
                control(url, f"/_bench/change?fraction={change}&seed=1", "POST")
            control(url, "/_bench/reset", "POST")
            run = watcher(command, config)
            # `status` exits 1 when unhealthy: here no daemon has run, which it says.
            if run.returncode not in (0, 1) or (run.returncode and command[0] != "status"):
                raise SystemExit(f"{step}: exit {run.returncode}\n{run.stdout[-2000:]}")
            requests, studies = served(url)
            print(row(step, run, n, requests, studies, db_size_mb(db)), flush=True)
            if command[0] == "status":
                print(run.stdout[-3000:])


if __name__ == "__main__":
    main()
