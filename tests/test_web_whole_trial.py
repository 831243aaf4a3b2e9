"""A whole EUCTR trial's page in the web view: its member states, each linked to its own
page (each keeps its own record, versions and review trail)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import settings_for
from watcher.core.model import Watch
from watcher.service import Service
from watcher.store.sql import SqlStore
from watcher.web.app import make_app
from watcher.web.guard import protect

WHOLE = "EUCTR2022-002568-62"


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
