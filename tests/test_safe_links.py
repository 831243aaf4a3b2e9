"""Only http(s) URLs become links: a register's URL field reading ``javascript:`` (or any
other scheme) is never made clickable in a message, report or page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.core.display import web_link
from watcher.core.model import Watch
from watcher.report.context import _trial


@pytest.mark.parametrize(
    ("url", "link"),
    [
        (
            "https://clinicaltrials.gov/study/NCT04267848",
            "https://clinicaltrials.gov/study/NCT04267848",
        ),
        (
            " http://trialsearch.who.int/Trial2.aspx?TrialID=X ",
            "http://trialsearch.who.int/Trial2.aspx?TrialID=X",
        ),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//evil.example/x", None),
        ("https:///no-host", None),
        ("vbscript:msgbox", None),
        (None, None),
        (42, None),
    ],
)
def test_only_http_and_https_urls_are_links(url: object, link: str | None) -> None:
    assert web_link(url) == link


def test_a_trial_card_never_carries_a_script_url() -> None:
    watch = Watch("NCT04267848", "ctgov", "ctgov")
    card = _trial(watch, "javascript:alert(1)", [], 1, 2, found_at=datetime.now(UTC))
    assert card.url is None
