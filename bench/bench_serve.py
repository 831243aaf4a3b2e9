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
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.office import fill, trial_ids  # noqa: E402
from tests.web import Served  # noqa: E402  (watcher serve in its own process, as the tests run it)


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
        ids = trial_ids(args.trials)
        if not path.exists():
            started = time.perf_counter()
            fill(database, ids)
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
