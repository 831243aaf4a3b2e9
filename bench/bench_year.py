"""Database size after a simulated year of daily checks, 1% of the trials changing each day.

Run:  .venv/bin/python bench/bench_year.py --trials 10000 --days 365 [--postgres]

Each day goes through the repository as a daemon's cycle does, a page of 1,000 trials at a
time: the page claimed, a check run, a new version of each changed trial (its record normalized
from the register's answer, stored against the version before), the unchanged checks of the
others written together, and their next checks scheduled. The HTTP and parsing of a day's checks
are left out (bench_cycle.py measures them): they store nothing.

On PostgreSQL an update leaves the row's old version behind until a vacuum marks its space for
reuse. Over a real day the daemon's checks are spread out, and autovacuum (every minute, on a
table whose dead rows pass 50 + 20% of it: ~2,000 for 10,000 watches) vacuums `watch` and
`check_log` about every 700 checks. A simulated day takes seconds, too short for its naptime,
so the simulation vacuums those two tables after each page of 1,000, as autovacuum would have
(``--no-vacuum`` to see what a year squeezed into minutes does without it).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.bench_cycle import database
from bench.harness import db_size_mb, machine
from bench.register import Templates, ctgov_ids
from watcher.config import SourceSettings
from watcher.core.hashing import content_hash, payload_fingerprint
from watcher.core.model import CheckRun, Fetched, Watch
from watcher.sources.ctgov import CtGov
from watcher.store import Unchanged
from watcher.store.sql import SqlStore, open_store

START = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


def store_version(
    repo: SqlStore, source: CtGov, payload: bytes, tid: str, at: datetime, previous: int
) -> None:
    fetched = Fetched(tid, "ctgov", payload, "application/json", source.record_url(tid))
    record = source.normalize(fetched)
    repo.add_version(
        tid,
        at=at,
        fetched=fetched,
        record=record,
        content_hash=content_hash(record),
        previous=previous,
        changes=0 if previous == 0 else 3,
        payload_hash=payload_fingerprint("ctgov", payload),
    )


PAGE = 1000


def vacuum(repo: SqlStore) -> None:
    """What autovacuum does while the daemon checks a page of trials: marks the space of the
    old row versions of the tables it updates for reuse."""
    if repo.engine.dialect.name == "postgresql":
        with repo.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM watch, check_log"))


def table_sizes(repo: SqlStore) -> str:
    """Each table with its indexes and TOAST, on PostgreSQL."""
    if repo.engine.dialect.name != "postgresql":
        return ""
    with repo.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC"
            )
        ).all()
    return ", ".join(f"{name} {size / 2**20:.1f} MB" for name, size in rows)


def simulate(url: str, trials: int, days: int, rate: float, vacuuming: bool) -> None:
    repo = open_store(url)
    templates = Templates(full=False, sites=25)
    source = CtGov(SourceSettings("http://127.0.0.1"))
    ids = ctgov_ids(trials)
    repo.add_watches([Watch(t, "ctgov", "ctgov") for t in ids], START)
    revision = dict.fromkeys(ids, 0)
    versions = dict.fromkeys(ids, 1)
    started = time.perf_counter()
    for tid in ids:
        store_version(repo, source, templates.answer("ctgov", 0, tid), tid, START, 0)
    baseline = db_size_mb(url)
    print(f"  baselines of {trials} trials: {baseline:.1f} MB", flush=True)
    rng = random.Random(1)
    for day in range(1, days + 1):
        at = START + timedelta(days=day)
        changed = set(rng.sample(ids, round(trials * rate)))
        for _page in range(0, trials, PAGE):
            claimed = repo.claim(at, {"ctgov": PAGE}, at + timedelta(minutes=30))
            page = [w.trial_id for w in claimed]
            assert page, "every trial is due once a day"
            changed_here = changed.intersection(page)
            for tid in changed_here:
                revision[tid] += 1
                payload = templates.answer("ctgov", revision[tid], tid)
                store_version(repo, source, payload, tid, at, versions[tid])
                versions[tid] += 1
            repo.record_unchanged_many([Unchanged(t, at) for t in page if t not in changed])
            repo.record_run(CheckRun("daemon", at, at, len(page), len(changed_here), 0))
            repo.schedule(dict.fromkeys(page, at + timedelta(days=1)))
            if vacuuming:
                vacuum(repo)
        if day % 30 == 0 or day == days:
            print(
                f"  day {day:3}: {db_size_mb(url):6.1f} MB "
                f"({time.perf_counter() - started:.0f} s so far)",
                flush=True,
            )
    total = db_size_mb(url)
    rows = repo.count_rows()
    print(
        f"  after {days} days: {total:.1f} MB in all, {total - baseline:.1f} MB added by the "
        f"checks; rows: {rows}"
    )
    if sizes := table_sizes(repo):
        print(f"  tables: {sizes}")
    repo.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rate", type=float, default=0.01, help="share changed each day")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    parser.add_argument(
        "--no-vacuum", action="store_true", help="no VACUUM between pages (PostgreSQL)"
    )
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp, database(args.postgres, Path(tmp)) as url:
        print(
            f"{args.trials} trials, {args.days} days, {args.rate:.0%} changed a day, "
            f"{'PostgreSQL' if args.postgres else 'SQLite'}"
        )
        simulate(url, args.trials, args.days, args.rate, not args.no_vacuum)


if __name__ == "__main__":
    main()
