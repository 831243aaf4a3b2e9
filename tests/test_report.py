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

from tests.conftest import NCT, run_cli, watcher_cli, write_config
from tests.machine import program
from tests.registry_server import RegistryServer
from watcher.report.context import ReportContext


def test_the_context_fields_are_the_documented_ones() -> None:
    documented = re.findall(r"``(\w+)``", ReportContext.__doc__ or "")
    assert set(documented) == set(ReportContext.__dataclass_fields__)


@pytest.fixture
def watched(server: RegistryServer, tmp_path: Path) -> Path:
    """A trial with three versions: status, then target size changed."""
    config = write_config(tmp_path / "watcher.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
    watcher_cli(config, "add", NCT, "--label", "ACCIO")
    ps = server.state.studies[NCT]["protocolSection"]
    ps["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    assert "1 changed" in watcher_cli(config, "check").output
    ps["designModule"]["enrollmentInfo"]["count"] = 800
    assert "1 changed" in watcher_cli(config, "check").output
    return config


def test_a_trials_history_is_one_self_contained_page(watched: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.html"
    result = run_cli(["report", "--trial", NCT, "--format", "html", "--out", str(out)], watched)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "</svg>" in page
    assert "<script" not in page and "<link" not in page and " src=" not in page
    assert "Version 3" in page and "Recruiting" in page and "Active, not recruiting" in page
    assert ">800</text>" in page and ">1210</text>" in page  # the size line's labels
    assert "Target sample size cut by 34% since we started watching (1210 → 800)" in page


def test_text_and_atom_reports(watched: Path) -> None:
    text = run_cli(["report"], watched).stdout
    assert "1 trials changed: 2 major, 0 minor, 0 metadata changes." in text
    assert "[major] Recruitment status: Recruiting → Active, not recruiting" in text
    atom = run_cli(["report", "--format", "atom"], watched).stdout
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
    assert run_cli(["report"], watched).stdout == f"1 changed; first: {NCT}\n"


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


@pytest.mark.e2e  # Chromium
def test_the_digest_renders_in_a_real_browser(watched: Path, tmp_path: Path) -> None:
    browser = program("chromium", "chromium-browser", package="chromium")
    page = tmp_path / "digest.html"
    assert run_cli(["digest", "--out", str(page)], watched).returncode == 0
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
    watcher_cli(config, "add", NCT)
    text = watcher_cli(config, "report").stdout
    assert "No changes in this period; 1 of 1 watched trials were checked." in text


@pytest.mark.e2e  # Chromium
def test_the_change_log_prints_on_a4_in_a_real_browser(watched: Path, tmp_path: Path) -> None:
    """`export --format html` is one page to file: Chromium prints it to an A4 PDF; the
    table is laid out to the page's width (fixed layout, wrapping cells), so no column is
    cut (looked at as PNG pages when it was made)."""
    browser = program("chromium", "chromium-browser", package="chromium")
    page = tmp_path / "log.html"
    assert run_cli(["export", NCT, "--format", "html", "--out", str(page)], watched).returncode == 0
    html = page.read_text(encoding="utf-8")
    assert "table-layout: fixed" in html and "@page { size: A4" in html
    pdf = tmp_path / "log.pdf"
    printed = _render(browser, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert printed.returncode == 0, printed.stderr[-2000:]
    # A4 is 595.3 x 841.9 points.
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    assert box is not None
    assert abs(float(box[1]) - 595.3) < 2 and abs(float(box[2]) - 841.9) < 2


def test_the_timeline_writes_each_size_beside_its_point() -> None:
    """The step's vertical line runs through a point's x: a label centred there was cut
    by it. Labels stand beside their point, with a halo."""
    from datetime import UTC, datetime

    from watcher.core.timeline import Point, svg

    at = datetime(2026, 1, 1, tzinfo=UTC)
    drawing = svg(
        [
            Point(at, 1, "recruiting", "Recruiting", 1210),
            Point(at, 2, "recruiting", "Recruiting", 800),
        ]
    )
    labels = re.findall(
        r'<text x="([\d.]+)"[^>]*text-anchor="(start|end)"[^>]*>(\d+)</text>', drawing
    )
    points = re.findall(r'<circle cx="([\d.]+)"', drawing)
    assert [label[2] for label in labels] == ["1210", "800"]
    for (x, anchor, _size), cx in zip(labels, points, strict=True):
        assert float(x) == float(cx) + (6 if anchor == "start" else -6)
    assert 'paint-order="stroke"' in drawing


def test_the_digest_links_each_trial_to_its_web_page(watched: Path, tmp_path: Path) -> None:
    page = f"https://trials.example.org/watcher/trial/{NCT}"
    assert page not in run_cli(["digest"], watched).stdout  # no public_url: no link
    with watched.open("a", encoding="utf-8") as f:
        f.write('\n[serve]\npublic_url = "https://trials.example.org/watcher/"\n')
    text = run_cli(["digest"], watched)
    assert text.returncode == 0, text.stderr
    assert f"  Review: {page}\n" in text.stdout
    out = tmp_path / "digest.html"
    run_cli(["digest", "--out", str(out)], watched)
    assert f'<a href="{page}"' in out.read_text(encoding="utf-8")
