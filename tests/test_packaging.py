"""The wheel people install: a distribution name of its own, the licence, the data files that
an installed `watcher` needs, and the `watcher` command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from watcher import __version__

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.mark.e2e
def test_the_distribution_is_not_named_watcher_and_carries_its_licence(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        info = f"trial_registry_watcher-{__version__}.dist-info"
        meta = Parser().parsestr(whl.read(f"{info}/METADATA").decode())
        licence = whl.read(f"{info}/licenses/LICENSE").decode()
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
    assert meta["Name"] == "trial-registry-watcher"
    assert meta["Version"] == __version__
    assert meta["License-Expression"] == "MIT"
    assert licence.startswith("MIT License")
    assert "Programming Language :: Python :: 3.11" in (meta.get_all("Classifier") or [])
    assert "watcher = watcher.cli:main" in entry_points
    # What an installed watcher loads from its package: migrations and templates.
    assert "watcher/_data/migrations/env.py" in names
    assert "watcher/_data/templates/digest.html.j2" in names
