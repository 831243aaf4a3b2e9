"""Reports: the documented context, self-contained HTML with its timeline, text, Atom, template
overrides, and the digest as headless Chromium renders it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import NCT, run_watcher, write_config
from tests.registry_server import RegistryServer
from watcher.report.context import ReportContext


def test_the_context_fields_are_the_documented_ones() -> None:
    documented = re.findall(r"``(\w+)``", ReportContext.__doc__ or "")
    assert set(documented) == set(ReportContext.__dataclass_fields__)


@pytest.fixture
def watched(server: RegistryServer, tmp_path: Path) -> Path:
    """A trial with three versions: status, then target size changed."""
    config = write_config(tmp_path / "watcher.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
    run_watcher(["add", NCT, "--label", "ACCIO"], config)
    ps = server.state.studies[NCT]["protocolSection"]
    ps["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    run_watcher(["check"], config)
    ps["designModule"]["enrollmentInfo"]["count"] = 800
    run_watcher(["check"], config)
    return config


def test_a_trials_history_is_one_self_contained_page(watched: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.html"
    result = run_watcher(["report", "--trial", NCT, "--format", "html", "--out", str(out)], watched)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "</svg>" in page
    assert "<script" not in page and "<link" not in page and " src=" not in page
    assert "Version 3" in page and "Recruiting" in page and "Active, not recruiting" in page
    assert ">800</text>" in page and ">1210</text>" in page  # the size line's labels
    assert "Target sample size cut by 34% since we started watching (1210 → 800)" in page


def test_text_and_atom_reports(watched: Path) -> None:
    text = run_watcher(["report"], watched).stdout
    assert "1 trials changed: 2 major, 0 minor, 0 metadata changes." in text
    assert "[major] Recruitment status: Recruiting → Active, not recruiting" in text
    atom = run_watcher(["report", "--format", "atom"], watched).stdout
    feed = ElementTree.fromstring(atom.encode())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    [entry] = feed.findall("a:entry", ns)
    assert entry.findtext("a:title", namespaces=ns) == (
        "NCT04267848 (ACCIO): 2 major, 0 minor changes"
    )
    link = entry.find("a:link", ns)
    assert link is not None and link.get("href") == "https://clinicaltrials.gov/study/NCT04267848"


def test_a_templates_dir_overrides_a_template(watched: Path, tmp_path: Path) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "report.txt.j2").write_text(
        "{{ trials | length }} changed; first: {{ trials[0].trial_id }}\n"
    )
    with watched.open("a") as f:
        f.write(f'\n[report]\ntemplates_dir = "{custom}"\n')
    assert run_watcher(["report"], watched).stdout == f"1 changed; first: {NCT}\n"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _render(browser: str, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tempfile.mkdtemp(prefix="watcher-chromium-")
    try:
        return subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--window-size=900,1400",
                *args,
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_the_digest_renders_in_a_real_browser(watched: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed here")
    page = tmp_path / "digest.html"
    assert run_watcher(["digest", "--out", str(page)], watched).returncode == 0
    dom = _render(browser, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    visible = re.sub(r"<[^>]+>", " ", dom.stdout)
    visible = re.sub(r"\s+", " ", visible)
    assert "Weekly digest" in visible
    assert "1 of 1 watched trials changed" in visible
    assert "Recruitment status: Recruiting → Active, not recruiting" in visible
    assert "Target sample size: 1210 → 800 (−34%)" in visible
    shot = Path(os.environ.get("WATCHER_SCREENSHOTS", tmp_path)) / "digest.png"
    _render(browser, page, f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000  # a page was painted, not a blank


def test_period_report_with_nothing_changed(server: RegistryServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "watcher.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
    run_watcher(["add", NCT], config)
    text = run_watcher(["report"], config).stdout
    assert "No changes in this period; 1 of 1 watched trials were checked." in text
