"""A whole EUCTR trial's page in the web view: its member states, each linked to its own
page (each keeps its own record, versions and review trail)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tests.conftest import NCT, settings_for, watcher_cli, write_config
from tests.registry_server import RegistryServer, RegistryState, load_study
from watcher.config import load
from watcher.core.model import Watch
from watcher.service import Service
from watcher.store.sql import SqlStore
from watcher.web.app import make_app
from watcher.web.guard import protect

WHOLE = "EUCTR2022-002568-62"
MASITINIB = "2021-002179-21"
DOWNLOAD = (
    Path(__file__).parent
    / "data"
    / "euctr"
    / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
)


# Starlette's test client asks for httpx2, which is not on the package index here; httpx serves.
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_the_page_of_a_whole_trial_lists_its_member_states(repo: SqlStore) -> None:
    repo.add_watches(
        [Watch(t, "euctr", "euctr", "AVB-101") for t in (WHOLE, f"{WHOLE}-ES", f"{WHOLE}-SE")],
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    from starlette.testclient import TestClient  # (imported here: it warns as it loads)

    service = Service(settings_for("http://127.0.0.1:9"), store=repo)
    with TestClient(protect(make_app(service), None, "office", "secret")) as client:
        answer = client.get(f"/trial/{WHOLE}")
        assert answer.status_code == 200
        assert f'href="/trial/{WHOLE}-ES"' in answer.text
        assert f'href="/trial/{WHOLE}-SE"' in answer.text
        assert "AVB-101" in answer.text
        assert client.get(f"/trial/{WHOLE}-ES").status_code == 200


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_the_watched_trials_list_a_whole_eudract_trial_once(db_url: str, tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    download = DOWNLOAD.read_text(encoding="utf-8")
    state = RegistryState(studies={NCT: load_study()}, euctr_download=download)
    with RegistryServer(state) as server:
        config = write_config(tmp_path / "w.toml", server.url, db_url)
        watcher_cli(config, "add", NCT, f"EUCTR{MASITINIB}")
        state.euctr_download = download.replace(
            "F.4.2.2 In the whole clinical trial: 600", "F.4.2.2 In the whole clinical trial: 450"
        )
        watcher_cli(config, "check", expect=None)
    listed = orjson.loads(watcher_cli(config, "list", "--json").output)
    members = sorted(
        w["trial_id"] for w in listed if w["trial_id"].startswith(f"EUCTR{MASITINIB}-")
    )
    unreviewed = sum(w["unreviewed"] for w in listed if w["trial_id"] in members)
    assert len(members) >= 2 and unreviewed == len(members)

    service = Service(load(str(config)))
    with service, TestClient(protect(make_app(service), None, "office", "s")) as client:
        page = client.get("/").text
    rows = re.findall(r'<tr style="border-top.*?</tr>', page, re.S)
    assert len(rows) == 2, rows  # the EudraCT trial and the CT.gov one: two trials
    assert '<b id="total">2</b> watched trial(s)' in page
    whole = rows[0]  # changed last: first
    assert f'href="/trial/EUCTR{MASITINIB}"' in whole
    states = ", ".join(m.rsplit("-", 1)[1] for m in members)
    assert f"{len(members)} member states: {states}" in whole
    assert re.search(rf'<td class="unreviewed"[^>]*><b[^>]*>{unreviewed}</b>', whole), whole
    # One change every member state repeats is told once, naming them.
    latest = whole.split('class="latest"', 1)[1].split("</td>", 1)[0]
    assert latest.count("Target sample size") == 1, latest
    assert f"<b>{len(members)} member states</b>" in latest, latest
    assert "no change yet" not in whole
    assert not any(f'href="/trial/{m}"' in page for m in members)


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_a_trial_page_tells_each_change_once_and_compares_side_by_side(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from tests.office import office

    with office(tmp_path) as o:
        service = Service(load(str(o.config)))
        with service, TestClient(protect(make_app(service), None, "office", "s")) as client:
            page = client.get(f"/trial/{NCT}").text
            diff = client.get(f"/trial/{NCT}/diff?from=1&to=2").text
    assert page.count("Recruitment status: Recruiting → Active, not recruiting") == 1
    assert '<option value="1" selected>version 1, ' in diff
    assert '<option value="2" selected>version 2, ' in diff
    side = diff.split('id="side-by-side"', 1)[1]
    old = re.search(r'<td class="old"[^>]*>([^<]*)</td>', side)
    new = re.search(r'<td class="new"[^>]*>([^<]*)</td>', side)
    assert old and new and (old.group(1), new.group(1)) == ("Recruiting", "Active, not recruiting")
    # The whole of a long text, not its first words: the old public title in full.
    assert "Testing the Addition of a Type of Drug Called Immunotherapy" in side
