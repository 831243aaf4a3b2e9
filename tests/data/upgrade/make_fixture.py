"""Make tests/data/upgrade/watcher-9204710.db: a database written by watcher at commit 9204710
(the release this wave started from), for the test that upgrades it.

    git worktree add /tmp/watcher-9204710 9204710
    .venv/bin/python tests/data/upgrade/make_fixture.py /tmp/watcher-9204710

It serves the answers of tests/upgrade_registers.py on 127.0.0.1 and runs that checkout's
`watcher add` (PYTHONPATH=the checkout, this venv's packages) for each trial, then `check`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.conftest import write_config  # noqa: E402
from tests.registry_server import RegistryServer  # noqa: E402
from tests.upgrade_registers import FIXTURE, WATCHED, state  # noqa: E402


def main(old_checkout: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, RegistryServer(state()) as server:
        db = Path(tmp) / "watcher.db"
        config = write_config(Path(tmp) / "watcher.toml", server.url, f"sqlite:///{db}")
        env = {**os.environ, "PYTHONPATH": str(Path(old_checkout).resolve())}
        env["WATCHER_CONFIG"] = str(config)

        def watcher(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "watcher", *args],
                env=env,
                cwd=tmp,  # not this checkout: `-m watcher` must find the old one
                capture_output=True,
                text=True,
                check=True,
            )
            return done.stdout

        for trial_id, source in WATCHED:
            print(watcher("add", trial_id, "--source", source), end="")
        print(watcher("check"), end="")
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["sqlite3", str(db), "VACUUM"], check=False)
        shutil.copyfile(db, FIXTURE)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
