"""A cycle of N CT.gov trials shared by one, then two `watcher run` daemons on one PostgreSQL
database: the wall time until every trial has been checked once, and how the checks split.

Run:  .venv/bin/python bench/bench_scaleout.py --trials 10000 --workers 1 2

The trials are imported without a baseline, then checked once to store their first versions
(not timed); then every trial is made due and the daemons start together. The time is from
their start until the register has served every trial once more and every check is written
(each daemon's check-log rows). Each daemon has its own request budget (50 a minute for CT.gov),
as it would on its own machine with its own address; here both run on one machine, so two
daemons also share its two cores with PostgreSQL and the register.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench.bench_cycle import database
from bench.harness import control, daemons, machine, register, watcher, write_config
from bench.register import ctgov_ids


def checked_since(db: str, since: str) -> int:
    """Trials whose last check is after ``since`` (an ISO time in UTC)."""
    engine = create_engine(db)
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM watch WHERE last_checked_at > :since"), {"since": since}
        ).scalar_one()
    engine.dispose()
    return int(count)


def make_all_due(db: str) -> str:
    """Every trial due now (a time in the past: a trial never scheduled would be spread over
    the interval instead); answers the last check's time."""
    engine = create_engine(db)
    with engine.begin() as conn:
        now = conn.execute(text("SELECT max(last_checked_at) FROM watch")).scalar_one()
        conn.execute(text("UPDATE watch SET next_check_at = :at"), {"at": now})
    engine.dispose()
    return str(now)


def checks_logged(log: Path) -> int:
    """The checks a daemon made, from its log (one line per check)."""
    return sum(" watcher.pipeline: ctgov NCT" in line for line in log.read_text().splitlines())


def cycle(n: int, workers: int, url: str, db: str, config: Path) -> tuple[float, int, list[int]]:
    since = make_all_due(db)
    control(url, "/_bench/reset", "POST")
    logs = [config.with_name(f"daemon-{workers}-{i}.log") for i in range(workers)]
    started = time.perf_counter()
    with daemons(config, logs) as procs:
        while checked_since(db, since) < n:
            if any(d.poll() is not None for d in procs):
                raise SystemExit("a daemon exited")
            time.sleep(0.1)
        wall = time.perf_counter() - started
    return wall, control(url, "/_bench/stats")["studies"], [checks_logged(log) for log in logs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tick", default="10s", help="schedule.tick")
    args = parser.parse_args()
    print(machine())
    n = args.trials
    with (
        tempfile.TemporaryDirectory() as tmp,
        register("--ctgov", str(n)) as url,
        database(True, Path(tmp)) as db,
    ):
        # A long interval: each trial is checked once per run of the benchmark.
        config = write_config(
            Path(tmp) / "watcher.toml", url, db, check_interval="7d", tick=args.tick
        )
        ids = Path(tmp) / "ids.txt"
        ids.write_text("\n".join(ctgov_ids(n)) + "\n")
        assert watcher(["import", str(ids), "--no-fetch"], config).returncode == 0
        assert watcher(["check"], config).returncode == 0  # the baselines, not timed
        print(f"N = {n} (PostgreSQL), no change", flush=True)
        for workers in args.workers:
            wall, served, shares = cycle(n, workers, url, db, config)
            print(
                f"  {workers} daemon{'s' if workers > 1 else ' '}: every trial checked in "
                f"{wall:6.2f} s; {served} studies served; checks by daemon: {shares}",
                flush=True,
            )


if __name__ == "__main__":
    main()
