"""How fast the web view answers on a large office: `watcher serve` (uvicorn, its own
process) over a SQLite database of 10,000 watched CT.gov trials, one in ten changed.

    python bench/bench_serve.py [--trials 10000] [--runs 30] [--keep watcher.db]

Prints the median and slowest wall time of ``--runs`` GETs of each page (after one warm-up),
measured from this process over loopback, and how many SQL statements the list page issues
(counted in-process on the same database).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.web import Served  # noqa: E402  (watcher serve in its own process, as the tests run it)

STUDY = ROOT / "tests" / "data" / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json"
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def build(database: str, ids: list[str]) -> None:
    """The database: every trial with one version, one in ten with a second (a status change,
    not reviewed), a tag on a third of them; filled through the store, as checks fill it."""
    from sqlalchemy import event

    from watcher.core.hashing import content_hash
    from watcher.core.model import Fetched, Watch
    from watcher.sources.ctgov_study import normalize_study
    from watcher.store import open_store

    study = orjson.loads(STUDY.read_bytes())
    store = open_store(database)
    # Building the fixture need not survive a power cut: 20,000 commits without fsync.
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda conn, _r: conn.execute("PRAGMA synchronous=OFF"))
    store.add_watches(
        [
            Watch(t, "ClinicalTrials.gov", "ctgov", tags=("lung",) if i % 3 == 0 else ())
            for i, t in enumerate(ids)
        ],
        T0,
    )
    for i, trial_id in enumerate(ids):
        study["protocolSection"]["identificationModule"]["nctId"] = trial_id
        payload = orjson.dumps(study)
        url = f"https://clinicaltrials.gov/study/{trial_id}"
        fetched = Fetched(trial_id, "ctgov", payload, "application/json", url)
        record = normalize_study(study)
        store.add_version(
            trial_id,
            at=T0,
            fetched=fetched,
            record=record,
            content_hash=content_hash(record),
            previous=0,
            changes=0,
        )
        if i % 10 == 0:
            changed = record | {"recruitment_status": "ACTIVE_NOT_RECRUITING"}
            store.add_version(
                trial_id,
                at=T0 + timedelta(days=i % 90 + 1),
                fetched=fetched,
                record=changed,
                content_hash=content_hash(changed),
                previous=1,
                changes=1,
            )
    store.engine.dispose()


def statements(database: str, path: str) -> int:
    """SQL statements the page issues, in-process (Starlette's test client)."""
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from watcher.config import from_mapping
    from watcher.service import Service
    from watcher.web.app import make_app
    from watcher.web.guard import protect

    service = Service(from_mapping({"database": {"url": database}}, "bench", env={}))
    count = 0

    def counted(*_args: object) -> None:
        nonlocal count
        count += 1

    service.open()
    engine = service._store.engine  # type: ignore[attr-defined]  # (a bench counts queries)
    event.listen(engine, "before_cursor_execute", counted)
    with TestClient(protect(make_app(service), None, "bench", "secret")) as client:
        client.get(path)  # warm: the schema check and the first connection
        count = 0
        assert client.get(path).status_code == 200
    service.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--keep",
        type=Path,
        help="the database file to build, or to use again when it exists (building takes minutes)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep.resolve() if args.keep else Path(tmp) / "watcher.db"
        database = f"sqlite:///{path}"
        ids = [f"NCT{90000000 + i:08d}" for i in range(args.trials)]
        if not path.exists():
            started = time.perf_counter()
            build(database, ids)
            print(f"built {args.trials} trials in {time.perf_counter() - started:.0f} s")
        config = Path(tmp) / "watcher.toml"
        config.write_text(f'[database]\nurl = "{database}"\n', encoding="utf-8")
        with Served(config) as web, httpx.Client(base_url=web.url) as client:
            pages = {
                "list, page 1": "/",
                f"list, page {args.trials // 200}": f"/?page={args.trials // 200}",
                "list, register filter": "/?register=ctgov",
                "list, tag filter": "/?tag=lung",
                "one trial": f"/trial/{ids[0]}",
                "healthz": "/healthz",
            }
            for name, path in pages.items():
                client.get(path)
                times = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    answer = client.get(path)
                    times.append(time.perf_counter() - t)
                    assert answer.status_code in (200, 503), (path, answer.status_code)
                print(
                    f"{name:28} median {statistics.median(times) * 1000:6.1f} ms, "
                    f"slowest {max(times) * 1000:6.1f} ms, {len(answer.content) // 1024} KB"
                )
        for path in ("/", "/?tag=lung"):
            print(f"SQL statements for {path}: {statements(database, path)}")


if __name__ == "__main__":
    main()
