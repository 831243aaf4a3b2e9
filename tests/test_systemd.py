"""The unit file passes `systemd-analyze verify` with no warning at all (it exits 0 on most
warnings, so any output fails the test), and keeps what the service needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.machine import program

UNITS = Path(__file__).resolve().parent.parent / "systemd"
UNIT = UNITS / "watcher.service"
SERVE = UNITS / "watcher-serve.service"


@pytest.mark.e2e  # systemd-analyze
@pytest.mark.parametrize("name", ["watcher.service", "watcher-serve.service"])
def test_the_unit_files_verify_without_a_warning(tmp_path: Path, name: str) -> None:
    analyze = program("systemd-analyze", package="systemd")
    # The installed path does not exist here: point ExecStart at this environment's watcher.
    watcher = Path(sys.executable).parent / "watcher"
    unit = tmp_path / name
    unit.write_text(
        (UNITS / name).read_text().replace("/opt/watcher/.venv/bin/watcher", str(watcher))
    )
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def _settings(unit: Path) -> dict[str, str]:
    return {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in unit.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }


def test_the_unit_is_notify_with_a_watchdog_and_hardened() -> None:
    lines = _settings(UNIT)
    assert lines["Type"] == "notify"
    assert lines["WatchdogSec"] and lines["Restart"] == "on-failure"
    assert lines["ExecStart"].endswith(" run")
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "DynamicUser"):
        assert lines[key] == "yes", key
    assert lines["ProtectSystem"] == "strict" and lines["StateDirectory"] == "watcher"


def test_the_web_view_unit_is_hardened_like_the_daemon_and_shares_its_database() -> None:
    daemon, web = _settings(UNIT), _settings(SERVE)
    assert web["ExecStart"].endswith(" serve")
    assert web["Restart"] == "on-failure"
    hardening = {
        k: v
        for k, v in daemon.items()
        if k.startswith(("Protect", "Restrict", "NoNew", "Private", "Capability"))
    }
    assert hardening and all(web[k] == v for k, v in hardening.items()), hardening
    for key in ("DynamicUser", "StateDirectory", "Environment", "SystemCallFilter", "UMask"):
        assert web[key] == daemon[key], key
    # One dynamic user for both units, so that both may open the one SQLite file.
    assert web["User"] == "watcher"
