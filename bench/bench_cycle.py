"""One full check cycle of N watched CT.gov trials, through the real `watcher` command against
the local register (bench/register.py): wall time, CPU time, peak RSS and requests, with no
change and with 1% of the trials changed.

Run:  .venv/bin/python bench/bench_cycle.py --trials 1000 10000 [--postgres] [--full]

Each `watcher check` is its own process (measured with wait4); the register runs in another.
The CT.gov request budget is the default (50 a minute), so the wall time includes the pauses
a real register would ask for. CPU per record is the slope between the two sizes: what one
more watched trial costs, without the start-up that every command pays once.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Run, control, db_size_mb, machine, register, watcher, write_config
from bench.register import ctgov_ids


@contextlib.contextmanager
def database(postgres: bool, directory: Path) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{directory / 'watcher.db'}"
        return
    from tests.postgres import throwaway_postgres

    with throwaway_postgres() as url:
        if url is None:
            raise SystemExit("PostgreSQL is not installed (scripts/test installs it)")
        yield url


def line(label: str, run: Run, requests: int | None = None) -> str:
    reqs = "" if requests is None else f"{requests:>5} requests"
    return (
        f"  {label:<22} wall {run.wall:7.2f} s  CPU {run.cpu:7.2f} s  "
        f"peak RSS {run.max_rss_mb:6.1f} MB  {reqs}"
    )


def requests_sent(url: str) -> int:
    return sum(control(url, "/_bench/stats")["requests"].values())


def cycle(trials: int, postgres: bool, extra: list[str], ctgov: str = "") -> dict[str, Run]:
    runs: dict[str, Run] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        register("--ctgov", str(trials), *extra) as url,
        database(postgres, Path(tmp)) as db,
    ):
        config = write_config(Path(tmp) / "watcher.toml", url, db, ctgov)
        ids = Path(tmp) / "ids.txt"
        ids.write_text("\n".join(ctgov_ids(trials)) + "\n")
        imported = watcher(["import", str(ids), "--no-fetch"], config)
        assert imported.returncode == 0, imported
        print(f"N = {trials} ({'PostgreSQL' if postgres else 'SQLite'})")
        for label, change in (("baseline", None), ("no change", None), ("1% changed", 0.01)):
            if change:
                control(url, f"/_bench/change?fraction={change}&seed=1", "POST")
            control(url, "/_bench/reset", "POST")
            run = watcher(["check", "--json"], config)
            assert run.returncode == 0, run.stdout[-2000:]
            runs[label] = run
            print(line(label, run, requests_sent(url)), flush=True)
        print(f"  database after these cycles: {db_size_mb(db):.1f} MB")
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    parser.add_argument("--full", action="store_true", help="the full 1,148-site record")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--page-size", type=int, help="sources.ctgov.page_size (1000)")
    args = parser.parse_args()
    extra = ["--latency", str(args.latency)] + (["--full"] if args.full else [])
    print(machine())
    ctgov = f"page_size = {args.page_size}" if args.page_size else ""
    results = {n: cycle(n, args.postgres, extra, ctgov) for n in args.trials}
    if len(results) >= 2:
        small, large = sorted(results)[0], sorted(results)[-1]
        for label in ("no change", "1% changed"):
            slope = (results[large][label].cpu - results[small][label].cpu) / (large - small)
            print(f"CPU per record, {label}: {slope * 1000:.2f} ms")


if __name__ == "__main__":
    main()
