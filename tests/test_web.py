"""`watcher serve` over HTTP, in its own process, on a database the real command filled:
the pages, the anti-forgery check, credentials, the loopback rule, SIGTERM and /healthz."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from tests.conftest import NCT, run_watcher
from tests.office import FAILING, QUIET, Office, office
from tests.web import Served
from watcher.store import open_store

pytestmark = pytest.mark.e2e


@pytest.fixture
def trials_office(tmp_path: Path) -> Iterator[Office]:
    with office(tmp_path) as o:
        yield o


def _history(o: Office) -> list[dict[str, object]]:
    out = run_watcher(["history", NCT, "--json"], o.config)
    assert out.returncode == 0, out.stderr
    history: list[dict[str, object]] = orjson.loads(out.stdout)
    return history


def _token(page: str) -> str:
    found = re.search(r'name="csrftoken" value="([^"]+)"', page)
    assert found, "the review form carries no anti-forgery token"
    return found.group(1)


def _form(page: str, **fields: str) -> dict[str, str]:
    """The review form as the page's browser sends it: its token and the version it shows."""
    seen = re.search(r'name="seen" value="(\d+)"', page)
    assert seen, "the review form does not say which version it shows"
    return {"csrftoken": _token(page), "seen": seen.group(1), "trial_id": NCT, **fields}


def test_the_pages_of_a_trials_office(trials_office: Office) -> None:
    with Served(trials_office.config) as web, httpx.Client(base_url=web.url) as http:
        listing = http.get("/")
        assert listing.status_code == 200
        assert "Testing the Addition of a Type of Drug Called Immunotherapy" in listing.text
        # A register's markup is text on every page, never markup.
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in listing.text
        assert "<script" not in listing.text and "<b>friends" not in listing.text
        assert "Active, not recruiting" in listing.text  # the status in plain words
        assert listing.text.count("failing</b>") == 1
        assert listing.text.count("no change yet") == 2
        for name, value in (
            ("content-security-policy", "default-src 'none'"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
        ):
            assert value in listing.headers[name]
        assert "script-src" not in listing.headers["content-security-policy"]
        # Sorted by last change: the changed trial first.
        rows = re.findall(r'<a href="/trial/(NCT\d+)"', listing.text)
        assert rows[0] == NCT and sorted(rows) == sorted([NCT, QUIET, FAILING])

        assert re.findall(r'<a href="/trial/(NCT\d+)"', http.get("/?tag=cardiology").text) == [
            QUIET
        ]
        assert "No watched trials match" in http.get("/?register=isrctn").text
        assert "Page 1 of 1" in http.get("/?page=x").text

        trial = http.get(f"/trial/{NCT}")
        assert trial.status_code == 200
        assert "Recruitment status: Recruiting → Active, not recruiting" in trial.text
        assert "Mark reviewed" in trial.text and "<svg" in trial.text
        assert "Red flags" in trial.text
        assert f'href="/trial/{NCT}/export.csv"' in trial.text
        assert (
            f'href="/trial/{NCT}/diff?from=1&amp;to=2" style="color:#1565c0;">first against'
            in trial.text
        )
        assert 'rel="noreferrer noopener"' in trial.text  # the link to the register

        failing = http.get(f"/trial/{FAILING}")
        assert "The last check failed" in failing.text and "HTTP 500" in failing.text

        diff = http.get(f"/trial/{NCT}/diff", params={"from": 1, "to": 2})
        assert diff.status_code == 200 and "Public title changed" in diff.text
        assert diff.text.index("Recruitment status:") < diff.text.index("Public title changed")
        assert http.get(f"/trial/{NCT}/diff", params={"from": 1, "to": 9}).status_code == 404
        assert http.get("/trial/NCT99999999").status_code == 404
        assert http.get("/trial/not-an-id").status_code == 404

        csv = http.get(f"/trial/{NCT}/export.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert 'Recruitment status,Recruiting,"Active, not recruiting",major' in csv.text

        feed = http.get("/feed.atom")
        assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert NCT in feed.text

        # No page changes anything on GET.
        assert http.get("/review", params={"trial_id": NCT}).status_code == 405
    assert web.returncode == 0, web.stderr  # SIGTERM: a clean stop
    assert _history(trials_office)[1]["reviewed_at"] is None


def test_a_review_needs_the_pages_token(trials_office: Office) -> None:
    with Served(trials_office.config) as web, httpx.Client(base_url=web.url) as http:
        forged = http.post("/review", data={"trial_id": NCT, "note": "forged"})
        assert forged.status_code == 403
        assert _history(trials_office)[1]["reviewed_at"] is None

        page = http.get(f"/trial/{NCT}").text
        done = http.post("/review", data=_form(page, note="seen"))
        assert done.status_code == 303 and done.headers["location"] == f"/trial/{NCT}?reviewed=1"
    reviewed = _history(trials_office)[1]
    assert (reviewed["reviewed_by"], reviewed["review_note"]) == ("office", "seen")


def test_beyond_loopback_only_with_a_password(trials_office: Office, tmp_path: Path) -> None:
    refused = run_watcher(["serve", "--host", "0.0.0.0"], trials_office.config)
    assert refused.returncode == 2
    assert "serve.password_file" in refused.stderr and "0.0.0.0" in refused.stderr

    import bcrypt

    secret = tmp_path / "web-password"
    bob = bcrypt.hashpw(b"battery staple", bcrypt.gensalt(rounds=4)).decode()
    secret.write_text(f"alice:correct horse\nbob:{bob}\n", encoding="utf-8")
    secret.chmod(0o644)
    with trials_office.config.open("a", encoding="utf-8") as f:
        f.write(f'\n[serve]\npassword_file = "{secret}"\n')
    readable = run_watcher(["serve", "--host", "0.0.0.0"], trials_office.config)
    assert readable.returncode == 2 and "chmod 600" in readable.stderr, readable.stderr
    secret.chmod(0o600)
    with Served(trials_office.config, "--host", "0.0.0.0") as web:
        for path in ("/", f"/trial/{NCT}", f"/trial/{NCT}/diff", "/feed.atom"):
            answer = httpx.get(web.url + path)
            assert answer.status_code == 401, path
            assert answer.headers["www-authenticate"].startswith("Basic")
        assert httpx.get(web.url + "/", auth=("alice", "wrong")).status_code == 401
        # Open without a password, for monitoring; no daemon ran here, so it says unhealthy.
        health = httpx.get(web.url + "/healthz")
        assert health.status_code == 503 and health.json()["healthy"] is False
        with httpx.Client(base_url=web.url, auth=("alice", "correct horse")) as http:
            page = http.get(f"/trial/{NCT}")
            assert page.status_code == 200 and "signed in as alice" in page.text
            done = http.post("/review", data=_form(page.text))
            assert done.status_code == 303
        # A new change, reviewed by the second user of the file (a bcrypt hash there).
        study = trials_office.server.state.studies[NCT]["protocolSection"]
        study["statusModule"]["overallStatus"] = "SUSPENDED"
        assert run_watcher(["check", NCT], trials_office.config).returncode == 0
        with httpx.Client(base_url=web.url, auth=("bob", "battery staple")) as http:
            page = http.get(f"/trial/{NCT}")
            assert page.status_code == 200 and "signed in as bob" in page.text
            assert http.post("/review", data=_form(page.text)).status_code == 303
    assert web.returncode == 0, web.stderr
    reviewers = [v["reviewed_by"] for v in _history(trials_office)[1:]]
    assert reviewers == ["alice", "bob"]  # each the signed-in user


def test_healthz_answers_as_status_exits(trials_office: Office) -> None:
    with Served(trials_office.config) as web:
        assert run_watcher(["status"], trials_office.config).returncode == 1
        sick = httpx.get(web.url + "/healthz")
        assert sick.status_code == 503 and sick.json()["healthy"] is False

        store = open_store(trials_office.db_url)
        now = datetime.now(UTC)
        store.heartbeat(now, now, 1, "test")
        store.engine.dispose()
        assert run_watcher(["status"], trials_office.config).returncode == 0
        well = httpx.get(web.url + "/healthz")
        assert well.status_code == 200
        # The body is `watcher status --json`, one shape for both.
        status = run_watcher(["status", "--json"], trials_office.config)
        assert well.json() == orjson.loads(status.stdout)
        assert {k: well.json()[k] for k in ("healthy", "last_cycle_at", "watched")} == {
            "healthy": True,
            "last_cycle_at": now.isoformat(),
            "watched": 3,
        }
        assert len(well.json()["failing"]) == 1
    assert web.returncode == 0, web.stderr


def test_a_form_opened_before_a_restart_posts_after_it(trials_office: Office) -> None:
    with httpx.Client() as http:
        with Served(trials_office.config) as web:
            page = http.get(f"{web.url}/trial/{NCT}").text
        # A restart (an upgrade, a reboot): the secret the form was signed with is kept.
        with Served(trials_office.config) as web:
            form = _form(page, note="after the restart")
            done = http.post(f"{web.url}/review", data=form)
            assert done.status_code == 303, done.text
    assert _history(trials_office)[1]["review_note"] == "after the restart"


def test_a_refused_form_keeps_the_typed_note(trials_office: Office) -> None:
    with Served(trials_office.config) as web, httpx.Client(base_url=web.url) as http:
        http.get(f"/trial/{NCT}")
        note = "Sponsor called <back> & agreed"
        refused = http.post("/review", data={"csrftoken": "stale", "trial_id": NCT, "note": note})
        assert refused.status_code == 403
        assert "Nothing was marked reviewed" in refused.text
        assert "Sponsor called &lt;back&gt; &amp; agreed" in refused.text  # shown, as text
        again = re.search(r'<a href="([^"]+)">Open the page again</a>', refused.text)
        assert again is not None
        reopened = http.get(again.group(1).replace("&amp;", "&")).text
        assert 'value="Sponsor called &lt;back&gt; &amp; agreed"' in reopened
    assert _history(trials_office)[1]["reviewed_at"] is None
