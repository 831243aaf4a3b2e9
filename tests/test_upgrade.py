"""Upgrades never cry wolf: a database written by the release this wave started from
(tests/data/upgrade/), upgraded and checked against the very same register answers, makes no
version and sends no e-mail, though this release reads some of those answers differently;
a real change after it is reported alone."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import mail_config, run_watcher
from tests.registry_server import RegistryServer
from tests.upgrade_registers import FIXTURE, WATCHED, state

pytestmark = pytest.mark.e2e


@pytest.fixture
def upgraded(tmp_path: Path, smtp: Any) -> Any:
    db = tmp_path / "watcher.db"
    shutil.copyfile(FIXTURE, db)
    with RegistryServer(state()) as server:
        config = mail_config(tmp_path / "watcher.toml", server.url, f"sqlite:///{db}", smtp.port)
        yield server, config


def _versions(config: Path) -> dict[str, int]:
    listed = orjson.loads(run_watcher(["list", "--json"], config).stdout)
    return {w["trial_id"]: w["versions"] for w in listed}


def _diff(config: Path, trial_id: str) -> list[dict[str, Any]]:
    result = run_watcher(["diff", trial_id, "--json"], config)
    assert result.returncode == 0, result.stderr
    changes: list[dict[str, Any]] = orjson.loads(result.stdout)["changes"]
    return changes


def test_the_same_answers_make_no_version_and_no_email(upgraded: Any, smtp: Any) -> None:
    _server, config = upgraded
    for _ in range(2):  # the first check re-reads the stored versions; the second finds them
        result = run_watcher(["check"], config)
        assert result.returncode == 0, result.stderr
        assert "0 changed, 0 new, 4 unchanged, 0 failed" in result.stdout
    assert _versions(config) == {tid: 1 for tid, _ in WATCHED}
    assert smtp.messages == []


def test_a_real_change_after_the_upgrade_is_reported_alone(upgraded: Any, smtp: Any) -> None:
    server, config = upgraded
    page = server.state.ictrp_pages["NCT04280705"]
    server.state.ictrp_pages["NCT04280705"] = page.replace(b">1062</span>", b">1100</span>", 1)
    server.state.studies["NCT04267848"]["protocolSection"]["statusModule"]["overallStatus"] = (
        "COMPLETED"
    )
    result = run_watcher(["check"], config)
    assert result.returncode == 0, result.stderr
    assert "2 changed" in result.stdout
    assert [(c["field"], c["old"], c["new"]) for c in _diff(config, "NCT04280705")] == [
        ("target_sample_size", 1062, 1100)
    ]
    assert [(c["field"], c["old"], c["new"]) for c in _diff(config, "NCT04267848")] == [
        ("recruitment_status", "RECRUITING", "COMPLETED")
    ]
    [alert] = smtp.messages
    text = alert.get_body(("plain",)).get_content()
    assert "Target sample size: 1062 → 1100" in text
    assert "outcome" not in text.lower() and "criteria" not in text.lower()


def test_reparse_rereads_history_with_the_current_parsers(upgraded: Any) -> None:
    """`watcher reparse` brings the stored readings up to date, and a second run finds
    nothing to do."""
    _server, config = upgraded
    before = orjson.loads(run_watcher(["show", "NCT04280705", "--json"], config).stdout)
    assert len(before["primary_outcomes"]) == 5  # as 9204710 read the page
    first = run_watcher(["reparse"], config)
    assert first.returncode == 0, first.stderr
    assert "NCT04280705: version 1 read again" in first.stdout
    after = orjson.loads(run_watcher(["show", "NCT04280705", "--json"], config).stdout)
    assert len(after["primary_outcomes"]) == 4
    assert after["inclusion_criteria"].startswith("1. Admitted to a hospital")
    again = run_watcher(["reparse"], config)
    assert again.returncode == 0, again.stderr
    assert "read again" not in again.stdout
    assert _versions(config) == {tid: 1 for tid, _ in WATCHED}


def test_reparse_keeps_the_review_trail(upgraded: Any) -> None:
    """Reading history again rewrites the stored versions: their reviews go with them."""
    server, config = upgraded
    study = server.state.studies["NCT04267848"]
    study["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    assert run_watcher(["check"], config).returncode == 0
    run_watcher(["review", "NCT04267848", "--by", "A. Moreau", "--note", "seen"], config)
    before = orjson.loads(run_watcher(["history", "NCT04267848", "--json"], config).stdout)
    assert before[1]["reviewed_by"] == "A. Moreau"
    # The upgraded versions of the other trials are read again; this trial's too.
    assert run_watcher(["reparse"], config).returncode == 0
    after = orjson.loads(run_watcher(["history", "NCT04267848", "--json"], config).stdout)
    keys = ("version", "reviewed_by", "reviewed_at", "review_note")
    assert [{k: h[k] for k in keys} for h in after] == [{k: h[k] for k in keys} for h in before]


def test_the_web_view_of_an_upgraded_database_reads_each_status_once(upgraded: Any) -> None:
    """The watch rows of an older release have no status: migration 0009 reads it once from
    each trial's latest record, and every page shows it."""
    import httpx

    from tests.web import Served

    _server, config = upgraded
    for _ in range(2):
        with Served(config) as web:
            listing = httpx.get(web.url + "/").text
        statuses = re.findall(r'<td class="status"[^>]*>([^<]*)</td>', listing)
        assert len(statuses) == len(WATCHED) and all(statuses), statuses
    assert web.returncode == 0, web.stderr


def test_reading_an_upgraded_database_writes_nothing(tmp_path: Path) -> None:
    """Migration 0009 reads each trial's title, status and other registrations once; after
    it, the watch list, a page of it, a trial's history and a period's report only read."""
    from sqlalchemy import event

    from watcher.config import from_mapping
    from watcher.service import Service

    db = tmp_path / "watcher.db"
    shutil.copyfile(FIXTURE, db)
    settings = from_mapping({"database": {"url": f"sqlite:///{db}"}}, "test", env={})
    with Service(settings) as service:
        service.open()  # migrated here
        writes: list[str] = []

        def written(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                writes.append(statement)

        engine = service._store.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", written)
        watches = service.watches()
        assert {w.trial_id for w in watches} == {tid for tid, _source in WATCHED}
        assert all(w.record_title and w.record_status for w in watches), watches
        assert all(w.links is not None for w in watches)
        service.triage()
        for w in watches:
            service.history(w.trial_id)
        service.render(service.report(), "html")
        assert writes == []
