"""The web view in a real browser: Debian's headless Chromium driven by Selenium, against
`watcher serve` on a database the real command filled. Screenshots are kept in the test's
directory (and in $WATCHER_SCREENSHOTS when set) to be looked at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as arrived
from selenium.webdriver.support.wait import WebDriverWait

from tests.conftest import NCT, run_watcher, watcher_cli
from tests.machine import program
from tests.office import FAILING, MARKUP_TITLE, QUIET, office
from tests.web import Served

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chrome]:
    chromium = program("chromium", package="chromium")
    driver = program("chromedriver", package="chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "--window-size=1200,1400",
    ):
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))
    try:
        yield chrome
    finally:
        chrome.quit()


def _shot(browser: Chrome, directory: Path, name: str) -> None:
    path = directory / f"{name}.png"
    assert browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000  # a page was drawn, not a blank
    if keep := os.environ.get("WATCHER_SCREENSHOTS"):
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, keep)


def test_the_office_reviews_a_change_in_the_browser(browser: Chrome, tmp_path: Path) -> None:
    with office(tmp_path) as o, Served(o.config) as web:
        browser.get(web.url + "/")
        table = browser.find_element(By.ID, "trials")
        titles = [e.text for e in table.find_elements(By.CLASS_NAME, "title")]
        assert len(titles) == 3
        assert sum("Testing the Addition of a Type of Drug" in t for t in titles) == 2
        # The register's markup is shown as the text it is: no script ran, no tag was made.
        assert MARKUP_TITLE in titles[0]
        assert table.find_elements(By.CSS_SELECTOR, "td.title script, td.title b") == []
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018
        failing = browser.find_element(By.XPATH, f"//tr[td/a[text()='{FAILING}']]")
        assert "failing" in failing.text
        assert QUIET in table.text
        _shot(browser, tmp_path, "list")

        browser.find_element(By.LINK_TEXT, NCT).click()
        WebDriverWait(browser, 10).until(arrived.url_to_be(f"{web.url}/trial/{NCT}"))
        assert MARKUP_TITLE in browser.find_element(By.TAG_NAME, "h1").text
        body = browser.find_element(By.TAG_NAME, "body").text
        assert "Recruitment status: Recruiting → Active, not recruiting" in body
        assert "Not reviewed yet." in body
        _shot(browser, tmp_path, "trial")

        form = browser.find_element(By.ID, "review")
        form.find_element(By.NAME, "note").send_keys("Sponsor told; protocol v3 on file")
        form.find_element(By.XPATH, ".//button[text()='Mark reviewed']").click()
        WebDriverWait(browser, 10).until(arrived.url_to_be(f"{web.url}/trial/{NCT}?reviewed=1"))
        assert browser.find_element(By.ID, "reviewed").text == "Marked reviewed."
        body = browser.find_element(By.TAG_NAME, "body").text
        assert "Reviewed by office" in body and "Sponsor told; protocol v3 on file" in body
        _shot(browser, tmp_path, "reviewed")

        browser.find_element(By.LINK_TEXT, "diff").click()
        WebDriverWait(browser, 10).until(arrived.url_contains("/diff?from=1&to=2"))
        assert "Public title changed" in browser.find_element(By.ID, "changes").text
        _shot(browser, tmp_path, "diff")

    history = orjson.loads(run_watcher(["history", NCT, "--json"], o.config).stdout)
    assert history[1]["reviewed_by"] == "office"
    assert history[1]["review_note"] == "Sponsor told; protocol v3 on file"
    assert web.returncode == 0, web.stderr


def test_a_review_posted_after_a_newer_version_leaves_it_unreviewed(
    browser: Chrome, tmp_path: Path
) -> None:
    with office(tmp_path) as o, Served(o.config) as web:
        browser.get(f"{web.url}/trial/{NCT}")
        form = browser.find_element(By.ID, "review")
        assert "(2)" in form.text  # version 2 is what this page shows for review
        # While the page is open, a check stores version 3 (the trial is suspended).
        status = o.server.state.studies[NCT]["protocolSection"]["statusModule"]
        status["overallStatus"] = "SUSPENDED"
        assert run_watcher(["check", NCT], o.config).returncode == 0
        form.find_element(By.NAME, "note").send_keys("Seen version 2")
        form.find_element(By.XPATH, ".//button[text()='Mark reviewed']").click()
        WebDriverWait(browser, 10).until(arrived.url_contains("reviewed=1"))
        said = browser.find_element(By.ID, "newer").text
        assert said == "Version 3 was stored after the page was loaded: it is not reviewed"
        assert "(3)" in browser.find_element(By.ID, "review").text  # offered for review now
        _shot(browser, tmp_path, "review-of-what-was-seen")
    history = orjson.loads(run_watcher(["history", NCT, "--json"], o.config).stdout)
    assert [(v["version"], v["reviewed_by"], v["review_note"]) for v in history[1:]] == [
        (2, "office", "Seen version 2"),
        (3, None, None),
    ]


def _sideways(browser: Chrome) -> int:
    """How far the page scrolls sideways (0: it fits the window)."""
    width: int = browser.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    return width


# WCAG 2.1's contrast ratio, measured on what Chromium drew: each element holding text, its
# computed colour against the first opaque background behind it (1.4.3: 4.5:1, large text 3:1).
_CONTRAST = """
function lum(c) {
  const v = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(x => x / 255)
    .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}
function opaque(c) { const a = c.match(/[\\d.]+/g); return a.length < 4 || Number(a[3]) === 1; }
function behind(e) {
  for (; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (bg !== 'rgba(0, 0, 0, 0)' && opaque(bg)) return bg;
  }
  return 'rgb(255, 255, 255)';
}
const low = [];
for (const e of document.body.querySelectorAll('*')) {
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const s = getComputedStyle(e);
  if (!own || s.visibility === 'hidden' || s.display === 'none') continue;
  const a = lum(s.color), b = lum(behind(e));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  if (ratio < (large ? 3 : 4.5))
    low.push([e.tagName, e.textContent.trim().slice(0, 40), s.color, behind(e), ratio.toFixed(2)]);
}
return low;
"""


def _low_contrast(browser: Chrome) -> list[list[str]]:
    """The text on the page drawn below WCAG AA contrast (empty: all of it reads)."""
    low: list[list[str]] = browser.execute_script(_CONTRAST)
    return low


def test_every_page_fits_a_390_px_phone_and_reads_at_aa_contrast(
    browser: Chrome, tmp_path: Path
) -> None:
    pages = (
        ("list", "/"),
        ("trial", f"/trial/{NCT}"),
        ("diff", f"/trial/{NCT}/diff"),
        ("failing", f"/trial/{FAILING}"),
        ("searches", "/searches"),
        ("search", "/searches/immunotherapy"),
    )
    with office(tmp_path) as o:
        query = "query.term=Immunotherapy&filter.overallStatus=ACTIVE_NOT_RECRUITING,RECRUITING"
        watcher_cli(o.config, "follow", "immunotherapy", "--source", "ctgov", "--query", query)
        o.server.state.studies[NCT]["protocolSection"]["statusModule"]["overallStatus"] = (
            "COMPLETED"  # it leaves the search: the page says so, with why
        )
        watcher_cli(o.config, "check", expect=None)
        with Served(o.config) as web:
            for name, path in pages:
                browser.get(web.url + path)
                assert _low_contrast(browser) == [], name
            browser.set_window_size(390, 844)
            for name, path in pages:
                browser.get(web.url + path)
                assert browser.execute_script("return window.innerWidth") <= 400
                assert _sideways(browser) <= 0, (name, _sideways(browser))
                assert _low_contrast(browser) == [], name
                _shot(browser, tmp_path, f"phone-{name}")
            # Every form field has a label a screen reader names it by.
            browser.get(f"{web.url}/trial/{NCT}")
            for field in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select"):
                assert field.get_attribute("id") or field.find_elements(By.XPATH, "ancestor::label")
            browser.get(web.url + "/")
            for field in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select"):
                assert field.find_elements(By.XPATH, "ancestor::label"), field.get_attribute("name")
