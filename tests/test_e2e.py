"""The real `watcher` command, in its own process, against the local register server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from tests.conftest import NCT, run_watcher, write_config
from tests.registry_server import RegistryServer, RegistryState, load_study, study_as
from watcher.store.db import make_engine
from watcher.store.tables import CheckLogRow, SnapshotRow

pytestmark = pytest.mark.e2e


def _rows(db_url: str, table: type[SnapshotRow] | type[CheckLogRow]) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()
    finally:
        engine.dispose()


def test_the_issue_scenario(server: RegistryServer, db_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "watcher.toml", server.url, db_url)

    added = run_watcher(["add", NCT], config)
    assert added.returncode == 0, added.stderr
    assert f"{NCT}: baseline version 1 stored." in added.stdout

    unchanged = run_watcher(["check"], config)
    assert unchanged.returncode == 0, unchanged.stderr
    assert unchanged.stdout.strip().endswith("0 changed, 0 new, 1 unchanged, 0 failed.")
    assert _rows(db_url, SnapshotRow) == 1

    ps = server.state.studies[NCT]["protocolSection"]
    ps["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    ps["designModule"]["enrollmentInfo"]["count"] = 1105
    changed = run_watcher(["check"], config)
    assert changed.returncode == 0, changed.stderr
    # Named by its record's title, cut at a word (README "What the office reads").
    assert f"{NCT} (Testing the Addition of a Type of Drug Called Immunotherapy to the Usual " in (
        changed.stdout
    )
    assert "…): 2 change(s), version 2\n" in changed.stdout
    assert "  ! Recruitment status: Recruiting → Active, not recruiting\n" in changed.stdout
    assert "  ! Target sample size: 1210 → 1105 (−9%)\n" in changed.stdout

    history = orjson.loads(run_watcher(["history", NCT, "--json"], config).stdout)
    assert [h["version"] for h in history] == [1, 2]

    diff = orjson.loads(run_watcher(["diff", NCT, "--json"], config).stdout)
    assert [(c["field"], c["old"], c["new"]) for c in diff["changes"]] == [
        ("recruitment_status", "RECRUITING", "ACTIVE_NOT_RECRUITING"),
        ("target_sample_size", 1210, 1105),
    ]
    human = run_watcher(["diff", NCT], config).stdout
    assert human.splitlines()[0].startswith(f"{NCT}: version 1 (")
    assert "! Target sample size: 1210 → 1105 (−9%)\n" in human

    again = run_watcher(["check", "--json"], config)
    assert orjson.loads(again.stdout) == {
        "checked": 1,
        "changed": [],
        "new": [],
        "failed": [],
        "searches": [],
    }
    assert _rows(db_url, SnapshotRow) == 2


def test_an_alias_is_followed_and_recorded(
    server: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    server.state.aliases["NCT09999999"] = NCT
    config = write_config(tmp_path / "watcher.toml", server.url, db_url)
    result = run_watcher(["add", "NCT09999999"], config)
    assert result.returncode == 0, result.stderr
    result = run_watcher(["check"], config)
    assert f"NCT09999999: the register now answers as {NCT} (alias redirected)" in result.stdout
    [watch] = orjson.loads(run_watcher(["list", "--json"], config).stdout)
    assert watch["redirected_to"] == NCT


def test_an_unreachable_register_is_named_and_nothing_is_lost(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    config = write_config(tmp_path / "watcher.toml", "http://127.0.0.1:9", db_url)
    added = run_watcher(["add", NCT], config)
    assert added.returncode == 0
    assert f"Watching {NCT} (ctgov)." in added.stdout
    assert (
        f"Warning: {NCT}: no baseline yet: ctgov '{NCT}': cannot reach http://127.0.0.1:9 ("
    ) in added.stderr
    checked = run_watcher(["check"], config)
    assert checked.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in checked.stdout
    assert "Traceback" not in checked.stderr
    assert _rows(db_url, SnapshotRow) == 0


def test_two_processes_checking_one_sqlite_file_at_once(tmp_path: Path) -> None:
    """The busy timeout and IMMEDIATE transactions let a CLI run beside the daemon."""
    ids = [f"NCT{i:08d}" for i in range(1, 41)]
    small = orjson.loads(
        (
            Path(__file__).parent / "data" / "ctgov" / "biomcp_get_nct02576665_20260811.json"
        ).read_bytes()
    )
    state = RegistryState(studies={tid: study_as(small, tid) for tid in ids})
    with RegistryServer(state) as srv:
        db_url = f"sqlite:///{tmp_path / 'w.db'}"
        config = write_config(tmp_path / "watcher.toml", srv.url, db_url)
        assert run_watcher(["add", "--no-fetch", *ids], config).returncode == 0
        env = {"WATCHER_CONFIG": str(config), "PYTHONUTF8": "1"}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "watcher", "check", "--json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert orjson.loads(out)["failed"] == []
    engine = make_engine(db_url)
    with engine.connect() as conn:
        versions = conn.execute(
            select(SnapshotRow.watch_id, func.count()).group_by(SnapshotRow.watch_id)
        ).all()
    engine.dispose()
    assert len(versions) == 40 and all(n == 1 for _, n in versions)  # none doubled


def test_full_record_survives_the_round_trip(
    server: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    """What `check` stores is what `parse` gives for the same payload."""
    config = write_config(tmp_path / "watcher.toml", server.url, db_url)
    run_watcher(["add", NCT], config)
    shown = orjson.loads(run_watcher(["show", NCT, "--json"], config).stdout)
    payload = tmp_path / "study.json"
    payload.write_bytes(orjson.dumps(load_study()))
    parsed = orjson.loads(run_watcher(["parse", str(payload), "--source", "ctgov"]).stdout)
    shown.pop("linked")  # the other registrations: what `show` adds, not the record
    assert parsed == [shown]


def test_progress_shows_on_a_terminal_and_not_in_a_pipe(tmp_path: Path) -> None:
    import os
    import pty

    ids = [f"NCT{i:08d}" for i in range(1, 4)]
    small = orjson.loads(
        (
            Path(__file__).parent / "data" / "ctgov" / "biomcp_get_nct02576665_20260811.json"
        ).read_bytes()
    )
    with RegistryServer(RegistryState(studies={t: study_as(small, t) for t in ids})) as srv:
        config = write_config(tmp_path / "watcher.toml", srv.url, f"sqlite:///{tmp_path}/w.db")
        assert run_watcher(["add", "--no-fetch", *ids], config).returncode == 0
        piped = run_watcher(["check"], config)
        assert "Checking" not in piped.stderr and "━" not in piped.stderr
        controller, terminal = pty.openpty()
        env = {**os.environ, "WATCHER_CONFIG": str(config), "COLUMNS": "80"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "watcher", "check"],
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
        )
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=60)
        os.close(controller)
    assert proc.returncode == 0
    assert b"Checking" in seen
    assert b"Checked 3 trial(s)" in seen
