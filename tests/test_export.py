"""The change log filed in the trial master file: each row names its trial, and no register
text ever runs as a spreadsheet formula (OWASP, "CSV Injection")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from tests.conftest import NCT, watcher_cli, write_config
from tests.registry_server import RegistryServer, study_as
from watcher.report.export import HEADER, ExportRow, to_csv

AT = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("https://evil.example","Click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_a_cell_that_would_start_a_formula_is_kept_as_text(text: str) -> None:
    row = ExportRow(
        "NCT04267848", text, 2, AT, "Public title", text, "Accio", "minor", None, None, None
    )
    cells = next(
        r
        for r in csv.reader(io.StringIO(to_csv([row]).removeprefix("\ufeff"), newline=""))
        if r != list(HEADER)
    )
    # As a spreadsheet reads it: the apostrophe makes the cell text, and it is not shown.
    assert cells[1] == cells[5] == f"'{text}"
    assert cells[0] == "NCT04267848" and cells[6] == "Accio"


def test_ordinary_text_and_numbers_are_written_as_they_are() -> None:
    row = ExportRow(
        "NCT04267848",
        "Accio",
        2,
        AT,
        "Target sample size",
        "1210",
        "800",
        "major",
        None,
        None,
        None,
    )
    assert "NCT04267848,Accio,2," in to_csv([row])


def _rows(text: str) -> list[dict[str, str]]:
    """The CSV read back as a spreadsheet reads it (the byte-order mark dropped)."""
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_export_of_several_trials_a_tag_and_a_period(
    server: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "w.toml", server.url, db_url)
    other = "NCT00000102"
    server.state.studies[other] = study_as(server.state.studies[NCT], other)
    watcher_cli(config, "add", NCT, "--tag", "oncology")
    watcher_cli(config, "add", other, "--label", '=HYPERLINK("http://x","y")')
    for nct, status in ((NCT, "TERMINATED"), (other, "SUSPENDED")):
        module = server.state.studies[nct]["protocolSection"]["statusModule"]
        module["overallStatus"] = status
        module["whyStopped"] = "Sponsor decision"
    watcher_cli(config, "check")

    every = _rows(watcher_cli(config, "export").output)
    assert {r["trial"] for r in every} == {NCT, other}
    [stop] = [r for r in every if r["trial"] == NCT and r["field"] == "Recruitment status"]
    assert stop["new"] == "Terminated; the register's reason: Sponsor decision"
    titles = {r["title"] for r in every if r["trial"] == other}
    assert titles == {'\'=HYPERLINK("http://x","y")'}  # text, never a formula

    tagged = _rows(watcher_cli(config, "export", "--tag", "oncology").output)
    assert {r["trial"] for r in tagged} == {NCT}
    assert _rows(watcher_cli(config, "export", "--since", "2999-01-01").output) == []
    page = watcher_cli(config, "export", NCT, other, "--format", "html").output
    assert "Change log of 2 trials" in page


def test_times_are_the_offices_in_exports_and_mails_and_utc_in_json(
    server: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "w.toml", server.url, db_url)
    config.write_text(config.read_text() + '\n[display]\ntimezone = "America/New_York"\n')
    watcher_cli(config, "add", NCT)
    server.state.studies[NCT]["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    watcher_cli(config, "check")
    [row] = [
        r for r in _rows(watcher_cli(config, "export").output) if r["field"] == "Recruitment status"
    ]
    assert row["found at"].endswith((" EST", " EDT")), row
    found = orjson.loads(watcher_cli(config, "history", NCT, "--json").output)[1]["fetched_at"]
    assert found.endswith("+00:00")  # JSON stays UTC
    local = datetime.fromisoformat(found).astimezone(ZoneInfo("America/New_York"))
    assert row["found at"].startswith(f"{local:%Y-%m-%d %H:%M}")
    digest = tmp_path / "digest.html"
    watcher_cli(config, "digest", "--since", "2000-01-01", "--out", str(digest))
    assert f"{local:%Y-%m-%d %H:%M} E" in digest.read_text(encoding="utf-8")


def test_a_time_zone_that_does_not_exist_is_a_config_error(
    server: RegistryServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
    config.write_text(config.read_text() + '\n[display]\ntimezone = "Mars/Olympus"\n')
    failed = watcher_cli(config, "list", expect=2)
    assert "display.timezone" in failed.output and "no such time zone" in failed.output
