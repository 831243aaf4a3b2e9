"""Clear errors for hostile or broken local input: a database file empty, corrupt or from a
newer release named as such; values too large kept as text; numbers out of range refused
with exit 2 or a 400; a reviewer's name too long; a file that never ends."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from tests.conftest import NCT, watcher_cli, write_config
from tests.registry_server import RegistryServer
from watcher.store.db import SCHEMA_HEAD, make_engine


@pytest.fixture
def config(server: RegistryServer, db_url: str, tmp_path: Path) -> Path:
    return write_config(tmp_path / "watcher.toml", server.url, db_url)


def _sqlite_config(server: RegistryServer, tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "w.db"
    return write_config(tmp_path / "w.toml", server.url, f"sqlite:///{db}"), db


def test_an_empty_database_file_is_refused_not_started_over(
    server: RegistryServer, tmp_path: Path
) -> None:
    config, db = _sqlite_config(server, tmp_path)
    db.write_bytes(b"")
    failed = watcher_cli(config, "list", expect=1)
    assert f"database {db}: the file is empty (0 bytes)" in failed.output
    assert db.stat().st_size == 0


def test_a_corrupt_database_file_is_named(server: RegistryServer, tmp_path: Path) -> None:
    config, db = _sqlite_config(server, tmp_path)
    db.write_bytes(b"this is no database at all\n" * 200)
    failed = watcher_cli(config, "list", expect=None)
    assert failed.exit_code != 0
    assert f"Error: database sqlite:///{db}: file is not a database" in failed.output
    assert "internal error" not in failed.output


def test_a_database_of_a_newer_release_says_so(config: Path, db_url: str) -> None:
    watcher_cli(config, "list")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    failed = watcher_cli(config, "list", expect=None)
    assert failed.exit_code != 0
    said = f"a newer release of watcher (schema 0999; this release knows up to {SCHEMA_HEAD})"
    assert said in failed.output


def test_a_reviewer_name_too_long_is_refused_on_every_database(config: Path) -> None:
    watcher_cli(config, "add", NCT)
    refused = watcher_cli(config, "review", NCT, "--by", "x" * 201, expect=2)
    assert "at most 200 characters" in refused.output
    watcher_cli(config, "review", NCT, "--by", "x" * 200)


def test_a_register_status_longer_than_its_column_is_kept_on_every_database(
    config: Path, server: RegistryServer
) -> None:
    watcher_cli(config, "add", NCT)
    status = server.state.studies[NCT]["protocolSection"]["statusModule"]
    status["overallStatus"] = "RECRUITING_" + "X" * 300
    checked = orjson.loads(watcher_cli(config, "check", "--json").output)
    assert checked["changed"] == [NCT] and checked["failed"] == []
    shown = orjson.loads(watcher_cli(config, "show", NCT, "--json").output)
    assert shown["recruitment_status"] == "RECRUITING_" + "X" * 300  # the record keeps it whole


def test_an_enrolment_no_trial_could_have_is_kept_as_text_with_a_warning(
    config: Path, server: RegistryServer, caplog: pytest.LogCaptureFixture
) -> None:
    watcher_cli(config, "add", NCT)
    study = server.state.studies[NCT]
    study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 10**30
    server.state.studies[NCT] = json.dumps(study).encode()  # orjson writes 64 bits at most
    checked = watcher_cli(config, "check")
    diff = orjson.loads(watcher_cli(config, "diff", NCT, "--json").output)
    [size] = [c for c in diff["changes"] if c["field"] == "target_sample_size"]
    assert (size["old"], size["new"]) == (1210, "1e+30")
    assert "is no count of participants: kept as written" in checked.output + caplog.text


@pytest.mark.parametrize(
    ("key", "value"), [("check_interval", "99999999999d"), ("check_interval", "0s")]
)
def test_a_duration_out_of_range_is_a_config_error(
    server: RegistryServer, tmp_path: Path, key: str, value: str
) -> None:
    config, _ = _sqlite_config(server, tmp_path)
    config.write_text(config.read_text() + f'\n[schedule]\n{key} = "{value}"\n')
    failed = watcher_cli(config, "list", expect=2)
    assert f"schedule.{key}" in failed.output and "internal error" not in failed.output


def test_import_of_a_file_that_never_ends_stops_naming_it(
    server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watcher.inputs

    monkeypatch.setattr(watcher.inputs, "MAX_INPUT", 8 * 1024**2)
    config, _ = _sqlite_config(server, tmp_path)
    failed = watcher_cli(config, "import", "/dev/zero", expect=2)
    assert "/dev/zero: larger than 8 MB" in failed.output


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_page_and_version_numbers_out_of_range_are_a_400_not_a_500(config: Path) -> None:
    from starlette.testclient import TestClient

    from watcher.config import load
    from watcher.service import Service
    from watcher.web.app import make_app
    from watcher.web.guard import protect

    watcher_cli(config, "add", NCT)
    with (
        Service(load(str(config))) as service,
        TestClient(protect(make_app(service), None, "office", "s")) as http,
    ):
        assert http.get("/?page=99999999999999999999999").status_code == 200
        for query in ("from=99999999999999999999999", "to=-1", "from=abc"):
            answer = http.get(f"/trial/{NCT}/diff?{query}")
            assert answer.status_code == 400, query
            assert "is not a version number" in answer.text


def test_an_ictrp_size_no_trial_could_have_is_kept_as_its_text() -> None:
    from watcher.sources.ictrp_record import record_from_row

    record = record_from_row({"trialid": "DRKS00000001", "target_size": "1" + "0" * 30})
    assert record["target_sample_size"] is None
    assert record["target_sample_size_text"] == "1" + "0" * 30
