"""What the office reads, reviews and files: titles, plain wording, the review trail, the
change log for the trial master file, stable feed entries, and intervals per trial."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import orjson
import pytest

from tests.conftest import NCT, mail_config, run_watcher, write_config
from tests.registry_server import RegistryServer

# How the office knows NCT04267848: its public title, cut at a word.
TITLE = "Testing the Addition of a Type of Drug Called Immunotherapy to the Usual Chemotherapy…"

pytestmark = pytest.mark.e2e
ATOM = "{http://www.w3.org/2005/Atom}"


def _json(result: Any) -> Any:
    assert result.returncode == 0, result.stderr
    return orjson.loads(result.stdout)


@pytest.fixture
def config(server: RegistryServer, tmp_path: Path) -> Path:
    return write_config(tmp_path / "watcher.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")


def _change_status(server: RegistryServer, status: str) -> None:
    server.state.studies[NCT]["protocolSection"]["statusModule"]["overallStatus"] = status


def test_every_trial_has_a_title(config: Path) -> None:
    assert run_watcher(["add", NCT], config).returncode == 0
    assert run_watcher(["add", "NCT01234567", "--no-fetch"], config).returncode == 0
    titles = {w["trial_id"]: w["title"] for w in _json(run_watcher(["list", "--json"], config))}
    # The record's public title, cut at a word; the ID for a trial not fetched yet.
    assert titles[NCT].startswith("Testing the Addition of a Type of Drug Called Immunotherapy")
    assert titles[NCT].endswith("…") and len(titles[NCT]) <= 90
    assert titles["NCT01234567"] == "NCT01234567"
    run_watcher(["add", NCT, "--label", "ALCHEMIST chemo-IO"], config)
    listed = _json(run_watcher(["list", "--json"], config))
    assert {w["trial_id"]: w["title"] for w in listed}[NCT] == "ALCHEMIST chemo-IO"
    assert "ALCHEMIST chemo-IO" in run_watcher(["list"], config).stdout


def test_an_alert_reads_plain_words_and_no_line_is_mangled(
    server: RegistryServer, tmp_path: Path, smtp: Any
) -> None:
    config = mail_config(
        tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}", smtp.port
    )
    assert run_watcher(["add", NCT, "--label", "ALCHEMIST"], config).returncode == 0
    _change_status(server, "ACTIVE_NOT_RECRUITING")
    assert run_watcher(["check"], config).returncode == 0
    [alert] = smtp.messages
    text = alert.get_body(("plain",)).get_content()
    html = alert.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Recruiting → Active, not recruiting" in part
        assert "ACTIVE_NOT_RECRUITING" not in part
    [raw] = smtp.raw
    assert b">From" not in raw
    assert not re.search(rb"(?m)^From ", raw.split(b"\r\n\r\n", 1)[1])


def test_a_digest_template_starting_with_from_arrives_as_written(
    server: RegistryServer, tmp_path: Path, smtp: Any
) -> None:
    """A body line starting with "From " is what mbox storage turns into ">From": it is sent
    so that no line of the message starts with it, and reads back as written."""
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "digest.txt.j2").write_text("From {{ period_start | when }} on: digest\n")
    config = mail_config(
        tmp_path / "w.toml",
        server.url,
        f"sqlite:///{tmp_path / 'w.db'}",
        smtp.port,
        f'\n[report]\ntemplates_dir = "{custom}"\n',
    )
    run_watcher(["add", NCT], config)
    assert run_watcher(["digest", "--send"], config).returncode == 0
    [raw] = smtp.raw
    assert not re.search(rb"(?m)^>?From ", raw.split(b"\r\n\r\n", 1)[1])
    [digest] = smtp.messages
    assert digest.get_body(("plain",)).get_content().startswith("From ")


def test_review_trail_history_list_and_later_checks(server: RegistryServer, config: Path) -> None:
    run_watcher(["add", NCT], config)
    _change_status(server, "ACTIVE_NOT_RECRUITING")
    run_watcher(["check"], config)
    assert _json(run_watcher(["list", "--json"], config))[0]["unreviewed"] == 1
    reviewed = run_watcher(
        ["review", NCT, "--note", "Filed in the TMF", "--by", "A. Moreau"], config
    )
    assert reviewed.returncode == 0, reviewed.stderr
    assert "1 version(s) with changes marked reviewed by A. Moreau." in reviewed.stdout
    history = _json(run_watcher(["history", NCT, "--json"], config))
    assert [(h["version"], h["reviewed_by"], h["review_note"]) for h in history] == [
        (1, None, None),
        (2, "A. Moreau", "Filed in the TMF"),
    ]
    assert history[1]["reviewed_at"]
    assert _json(run_watcher(["list", "--json"], config))[0]["unreviewed"] == 0
    diff = _json(run_watcher(["diff", NCT, "--json"], config))
    assert (diff["reviewed_by"], diff["review_note"]) == ("A. Moreau", "Filed in the TMF")
    assert "Reviewed by A. Moreau, " in run_watcher(["diff", NCT], config).stdout
    page = run_watcher(["report", "--trial", NCT], config).stdout
    assert "Reviewed by A. Moreau, " in page and ": Filed in the TMF" in page
    # A later change is not reviewed, and never rewrites the review before it.
    _change_status(server, "COMPLETED")
    run_watcher(["check"], config)
    later = _json(run_watcher(["history", NCT, "--json"], config))
    assert later[1] == history[1]
    assert later[2]["reviewed_by"] is None
    assert _json(run_watcher(["list", "--json"], config))[0]["unreviewed"] == 1
    unknown = run_watcher(["review", "NCT09999999"], config)
    assert (unknown.returncode, unknown.stderr) == (2, "Error: NCT09999999: not watched\n")


def test_export_gives_one_row_per_change_for_a_spreadsheet(
    server: RegistryServer, config: Path, tmp_path: Path
) -> None:
    run_watcher(["add", NCT], config)
    study = server.state.studies[NCT]["protocolSection"]
    study["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    study["designModule"]["enrollmentInfo"]["count"] = 800
    run_watcher(["check"], config)
    run_watcher(["review", NCT, "--by", "A. Moreau", "--note", "seen"], config)
    out = tmp_path / "log.csv"
    assert (
        run_watcher(["export", NCT, "--format", "csv", "--out", str(out)], config).returncode == 0
    )
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for spreadsheets
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        "trial",
        "title",
        "version",
        "found at",
        "field",
        "old",
        "new",
        "significance",
        "reviewed by",
        "reviewed at",
        "review note",
    ]
    assert {(r[0], r[1]) for r in rows[1:]} == {(NCT, TITLE)}  # each row names its trial
    assert [(r[2], r[4], r[5], r[6], r[7], r[8], r[10]) for r in rows[1:]] == [
        (
            "2",
            "Recruitment status",
            "Recruiting",
            "Active, not recruiting",
            "major",
            "A. Moreau",
            "seen",
        ),
        ("2", "Target sample size", "1210", "800", "major", "A. Moreau", "seen"),
    ]
    page = run_watcher(["export", NCT, "--format", "html"], config)
    assert page.returncode == 0
    assert "@page { size: A4" in page.stdout and "Active, not recruiting" in page.stdout


def test_feed_entries_keep_the_time_their_change_was_found(
    server: RegistryServer, config: Path
) -> None:
    run_watcher(["add", NCT], config)
    _change_status(server, "COMPLETED")
    run_watcher(["check"], config)

    def updated() -> list[str | None]:
        feed = ElementTree.fromstring(run_watcher(["report", "--format", "atom"], config).stdout)
        return [e.findtext(f"{ATOM}updated") for e in feed.iter(f"{ATOM}entry")]

    first = updated()
    assert len(first) == 1 and first[0]
    assert updated() == first  # rendered again, later: the same time


def test_the_digest_reminds_of_changes_not_reviewed(server: RegistryServer, tmp_path: Path) -> None:
    import time

    config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
    with config.open("a") as f:
        f.write('\n[review]\nremind_after = "1s"\n')
    run_watcher(["add", NCT], config)
    _change_status(server, "COMPLETED")
    run_watcher(["check"], config)
    time.sleep(1.2)
    digest = run_watcher(["digest"], config).stdout
    assert "Changes not reviewed for more than the reminder time (1 trial(s)" in digest
    assert f"  {NCT} (" in digest and "version(s) 2, found since" in digest
    run_watcher(["review", NCT], config)
    assert "not reviewed" not in run_watcher(["digest"], config).stdout
