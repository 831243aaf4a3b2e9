"""Scale-out: two `watcher run` processes share one database and split the due checks; no
trial is fetched twice, and the outbox and digest are one daemon's at a time."""

from __future__ import annotations

import re
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from tests.conftest import run_watcher
from tests.registry_server import RegistryServer, RegistryState, study_as
from tests.test_daemon import SMALL, start_daemon, wait_for, watches
from watcher.store.sql import open_store

pytestmark = pytest.mark.e2e
IDS = [f"NCT{i:08d}" for i in range(1, 241)]


def _config(path: Path, url: str, db_url: str) -> Path:
    # A budget of one request of 20 studies per one-second tick and daemon, so that the
    # work is spread over many cycles and both daemons get some.
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        '[schedule]\ncheck_interval = "1h"\ntick = "1s"\n\n'
        f'[sources.ctgov]\nbase_url = "{url}"\nrequests_per_minute = 60\npage_size = 20\n\n'
        '[http]\ntimeout = "5s"\nretries = 1\nbackoff = "1s"\ncontact = "tests@example.org"\n',
        encoding="utf-8",
    )
    return path


def _fetched_ids(log: list[str]) -> Counter[str]:
    """How often each NCT ID was asked for, in batch and single requests."""
    asked: Counter[str] = Counter()
    for path in log:
        url = urlsplit(path)
        if url.path == "/api/v2/studies":
            asked.update(i for i in parse_qs(url.query)["filter.ids"][0].split(",") if i)
        elif url.path.startswith("/api/v2/studies/"):
            asked[url.path.rsplit("/", 1)[1]] += 1
    return asked


def test_two_daemons_split_the_checks_without_doing_any_twice(db_url: str, tmp_path: Path) -> None:
    small = orjson.loads(SMALL.read_bytes())
    state = RegistryState(studies={t: study_as(small, t) for t in IDS})
    with RegistryServer(state) as server:
        config = _config(tmp_path / "watcher.toml", server.url, db_url)
        assert run_watcher(["db", "upgrade"], config).returncode == 0
        logs = [tmp_path / "one.log", tmp_path / "two.log"]
        daemons = [start_daemon(config, log) for log in logs]
        try:
            # Both running before there is work: on a loaded machine one daemon can take
            # seconds longer to start, and the other would have done it all meanwhile.
            wait_for(
                lambda: all("watcher run: checking every" in log.read_text() for log in logs),
                what="both daemons started",
            )
            assert run_watcher(["add", "--no-fetch", *IDS], config).returncode == 0
            wait_for(
                lambda: all(w["versions"] == 1 for w in watches(config).values()),
                deadline=120,
                what="every trial has its first version",
            )
        finally:
            for daemon in daemons:
                daemon.send_signal(signal.SIGTERM)
            for daemon in daemons:
                daemon.wait(timeout=30)
        assert [d.returncode for d in daemons] == [0, 0]
        asked = _fetched_ids(state.log)
        assert set(asked) == set(IDS)
        assert [t for t, n in asked.items() if n > 1] == []  # none fetched twice
    # Each daemon logs one line per check: both took a share, and no trial is in both.
    checked = [set(re.findall(r"ctgov (NCT\d{8}) baseline", log.read_text())) for log in logs]
    assert checked[0] and checked[1], "one daemon did all the work"
    assert checked[0] & checked[1] == set()
    assert checked[0] | checked[1] == set(IDS)


def test_a_lease_is_one_holders_until_it_ends_or_is_released(db_url: str) -> None:
    repo = open_store(db_url)
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    try:
        assert repo.take_lease("digest", "a:1", now, now + timedelta(hours=1))
        assert not repo.take_lease("digest", "b:2", now + timedelta(minutes=5), now)
        assert repo.take_lease("digest", "a:1", now, now + timedelta(hours=2))  # renewed
        assert repo.take_lease("digest", "b:2", now + timedelta(hours=3), now)  # expired
        repo.release_lease("digest", "b:2", now + timedelta(hours=3))
        assert repo.take_lease("digest", "a:1", now + timedelta(hours=3), now)
    finally:
        repo.engine.dispose()
