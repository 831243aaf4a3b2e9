"""A review is of what the reviewer saw: `review --to N` leaves a later version unreviewed,
and a version without changes never asks for a review."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tests.conftest import NCT, watcher_cli, write_config
from tests.registry_server import RegistryServer
from watcher.core.model import Fetched
from watcher.store.sql import SqlStore


def _history(config: Path) -> list[tuple[int, str | None]]:
    history = orjson.loads(watcher_cli(config, "history", NCT, "--json").output)
    return [(v["version"], v["reviewed_by"]) for v in history]


@pytest.fixture
def three_versions(server: RegistryServer, db_url: str, tmp_path: Path) -> Path:
    """A watched trial with three versions (its status changed twice); its config."""
    config = write_config(tmp_path / "w.toml", server.url, db_url)
    watcher_cli(config, "add", NCT)
    status = server.state.studies[NCT]["protocolSection"]["statusModule"]
    for new in ("ACTIVE_NOT_RECRUITING", "SUSPENDED"):
        status["overallStatus"] = new
        watcher_cli(config, "check")
    return config


def test_review_to_a_version_leaves_the_later_ones_unreviewed(three_versions: Path) -> None:
    config = three_versions
    marked = watcher_cli(config, "review", NCT, "--to", "2", "--by", "ana")
    assert "1 version(s)" in marked.output
    assert _history(config) == [(1, None), (2, "ana"), (3, None)]
    [listed] = orjson.loads(watcher_cli(config, "list", "--json").output)
    assert listed["unreviewed"] == 1
    refused = watcher_cli(config, "review", NCT, NCT.replace("8", "9"), "--to", "2", expect=2)
    assert "unknown" in refused.output.lower() or "not watched" in refused.output


def test_a_version_without_changes_needs_no_review(repo: SqlStore) -> None:
    from watcher.core.model import Watch

    at = datetime(2026, 12, 1, tzinfo=UTC)
    repo.add_watches([Watch(NCT, "ctgov", "ctgov")], at)
    fetched = Fetched(NCT, "ctgov", b"{}", "application/json", "https://x")
    for number, changes in ((1, 0), (2, 3), (3, 0)):  # 3: a new starting version, say
        repo.add_version(
            NCT,
            at=at,
            fetched=fetched,
            record={"trial_id": NCT, "n": number},
            content_hash=f"h{number}",
            previous=number - 1,
            changes=changes,
            payload_hash=f"p{number}",
            parser="ctgov:3",
        )
    assert repo.unreviewed() == {NCT: 1}
    assert repo.review([NCT], "ana", at, None) == 1
    assert repo.unreviewed() == {}


def test_history_text_shows_the_review_trail(three_versions: Path) -> None:
    config = three_versions
    watcher_cli(config, "review", NCT, "--to", "2", "--by", "ana", "--note", "sponsor asked")
    lines = watcher_cli(config, "history", NCT).output.splitlines()
    assert "review" in lines[0]
    assert "ana, " in lines[2] and "sponsor asked" in lines[2]
    assert lines[3].rstrip().endswith("not reviewed")
