"""Crash safety: `watcher run` killed with SIGKILL at a random moment, many times in a row
(``$WATCHER_TEST_CRASH_ROUNDS``: 10 by default, 50 in CI), while the register changes.
After each kill the SQLite file passes its integrity check, no version is half-written or
doubled, and the next run completes its cycle."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import run_watcher, write_config
from tests.registry_server import RegistryServer, RegistryState, study_as
from tests.test_daemon import SMALL, start_daemon, wait_for, watches
from watcher.core.hashing import content_hash
from watcher.store.db import make_engine
from watcher.store.sql import SqlStore

pytestmark = pytest.mark.e2e
# Each round is a daemon started and killed (about 1.8 s): the edit loop runs a few, CI many.
ROUNDS = int(os.environ.get("WATCHER_TEST_CRASH_ROUNDS", "10"))
IDS = [f"NCT{i:08d}" for i in range(1, 41)]
STATUSES = ["RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", "SUSPENDED", "TERMINATED"]


def _sound(db_path: Path) -> None:
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for watch_id, count, top, stored in db.execute(
            "SELECT s.watch_id, COUNT(*), MAX(s.version), w.version_count FROM snapshot s "
            "JOIN watch w ON w.id = s.watch_id GROUP BY s.watch_id"
        ):
            assert count == top == stored, f"watch {watch_id}: {count} {top} {stored}"
    finally:
        db.close()
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        repo = SqlStore(engine)
        for watch in repo.watches():
            for version in repo.history(watch.trial_id):  # each unpacked from its deltas
                assert version.content_hash == content_hash(version.record)  # never half-written
    finally:
        engine.dispose()


def test_sigkills_at_random_moments_lose_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    small = orjson.loads(SMALL.read_bytes())
    state = RegistryState(studies={t: study_as(small, t) for t in IDS})
    with RegistryServer(state) as server:
        db_path = tmp_path / "w.db"
        config = write_config(tmp_path / "watcher.toml", server.url, f"sqlite:///{db_path}")
        with config.open("a") as f:
            f.write('\n[schedule]\ncheck_interval = "1s"\ntick = "1s"\n')
        assert run_watcher(["add", "--no-fetch", *IDS], config).returncode == 0
        log = tmp_path / "daemon.log"
        for _ in range(ROUNDS):
            for tid in rng.sample(IDS, 8):
                state.studies[tid]["protocolSection"]["statusModule"]["overallStatus"] = rng.choice(
                    STATUSES
                )
            daemon = start_daemon(config, log)
            time.sleep(rng.uniform(0.8, 2.5))  # a random moment: starting, checking, writing
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(timeout=30)
            assert daemon.returncode == -signal.SIGKILL
            _sound(db_path)

        # The next run completes a cycle over every trial and stops cleanly.
        final = {
            tid: state.studies[tid]["protocolSection"]["statusModule"]["overallStatus"]
            for tid in IDS
        }
        daemon = start_daemon(config, log)
        try:

            def cycled() -> bool:
                db = sqlite3.connect(db_path)
                try:
                    row = db.execute("SELECT pid, last_cycle_at FROM daemon").fetchone()
                finally:
                    db.close()
                return row is not None and row[0] == daemon.pid and row[1] is not None

            wait_for(cycled, what="the restarted daemon completes a cycle")

            def caught_up() -> bool:
                engine = make_engine(f"sqlite:///{db_path}")
                try:
                    repo = SqlStore(engine)
                    latest = {
                        w.trial_id: repo.version(w.trial_id).record["recruitment_status"]
                        for w in repo.watches()
                        if w.versions
                    }
                finally:
                    engine.dispose()
                return latest == final

            wait_for(caught_up, what="every trial's latest version is what the register says")
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
        assert daemon.returncode == 0
        _sound(db_path)
        assert all(w["versions"] >= 1 for w in watches(config).values())
