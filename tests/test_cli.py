"""The command line: exit codes, exact error messages, JSON shapes (docs/contract.md §1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from tests.conftest import NCT, write_config
from tests.registry_server import RegistryServer
from watcher.cli import cli

DATA = Path(__file__).parent / "data" / "ctgov"
TODAY = "2027-03-01T08:00:00+00:00"
# On that clock, and only on it (the real today is before the trial's results are due), the
# versions compared raise this flag: a diff that dropped its flags, or took another clock,
# fails.
EXPECTED_FLAGS = [
    {
        "code": "results_missing",
        "message": "No results 14 months after the primary completion (2025-12-15)",
    }
]


@pytest.fixture
def invoke(server: RegistryServer, db_url: str, tmp_path: Path) -> Iterator[Any]:
    config = write_config(tmp_path / "watcher.toml", server.url, db_url)
    # The commands' clock: a fixed moment (honoured only under the tests, see watcher.clock).
    runner = CliRunner(env={"WATCHER_TEST_NOW": TODAY})

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    yield run


def _json(result: Result) -> Any:
    return orjson.loads(result.stdout)


def test_add_check_history_diff_list(invoke: Any, server: RegistryServer) -> None:
    result = invoke("add", NCT, "--label", "ACCIO", "--tag", "lung")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Watching {NCT} (ctgov).\n{NCT}: baseline version 1 stored.\n")
    [watch] = _json(invoke("list", "--json"))
    assert {k: watch[k] for k in ("trial_id", "source", "label", "tags", "status")} == {
        "trial_id": NCT,
        "source": "ctgov",
        "label": "ACCIO",
        "tags": ["lung"],
        "status": "ok",
    }
    assert watch["last_checked_at"] and watch["last_changed_at"]

    study = server.state.studies[NCT]["protocolSection"]
    study["statusModule"]["overallStatus"] = "COMPLETED"
    result = invoke("check", "--json")
    assert result.exit_code == 0
    assert _json(result) == {
        "checked": 1,
        "changed": [NCT],
        "new": [],
        "failed": [],
        "searches": [],
    }

    history = _json(invoke("history", NCT, "--json"))
    assert [(h["version"], h["changes"]) for h in history] == [(1, 0), (2, 1)]
    assert all(h["content_hash"].startswith("2:") and h["fetched_at"] for h in history)

    diff = _json(invoke("diff", NCT, "--json"))
    assert {k: diff[k] for k in ("trial_id", "from", "to")} == {"trial_id": NCT, "from": 1, "to": 2}
    assert diff["changes"] == [
        {
            "field": "recruitment_status",
            "label": "Recruitment status",
            "old": "RECRUITING",
            "new": "COMPLETED",
            "significance": "major",
            "kind": "changed",
            "summary": "Recruitment status: Recruiting → Completed",
        }
    ]
    # The flags of the versions compared, on the commands' clock (their rules: test_flags).
    assert diff["flags"] == EXPECTED_FLAGS
    text = invoke("diff", NCT).stdout
    assert "\n! Recruitment status: Recruiting → Completed\n" in text
    assert text.splitlines()[0].endswith(": 1 major, 0 minor, 0 metadata")
    assert _json(invoke("show", NCT, "--version", "1", "--json"))["recruitment_status"] == (
        "RECRUITING"
    )
    assert "Recruitment status: Completed (COMPLETED)" in invoke("show", NCT).stdout


def test_add_with_one_bad_id_stores_nothing(invoke: Any) -> None:
    result = invoke("add", NCT, "NCT123")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: 'NCT123': not a trial ID of any known register")
    assert _json(invoke("list", "--json")) == []


def test_ctis_and_isrctn_have_adapters_that_serve_their_own_register(invoke: Any) -> None:
    """Once refused with a pointer to ICTRP (before 0.2.0); now each has its adapter,
    which serves its own register only."""
    result = invoke("add", "ISRCTN12345678", "--source", "ctis", "--no-fetch")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: source 'ctis': does not serve isrctn records such as ISRCTN12345678\n"
    )
    added = invoke("add", "ISRCTN12345678", "2023-507385-11-00", "--no-fetch")
    assert added.exit_code == 0, added.stderr
    assert added.stdout.splitlines() == [
        "Watching ISRCTN12345678 (isrctn).",
        "Watching CTIS2023-507385-11-00 (ctis).",
    ]


def test_other_registers_are_watched_through_ictrp_by_default(invoke: Any) -> None:
    result = invoke("add", "DRKS00012345", "ACTRN12612000123456", "--no-fetch")
    assert result.exit_code == 0
    assert [(w["trial_id"], w["source"]) for w in _json(invoke("list", "--json"))] == [
        ("ACTRN12612000123456", "ictrp"),
        ("DRKS00012345", "ictrp"),
    ]
    moved = invoke("add", "ISRCTN12345678", "--source", "ictrp", "--no-fetch")
    assert moved.stdout == "Watching ISRCTN12345678 (ictrp).\n"  # ICTRP stays available


def test_remove_unknown_id(invoke: Any) -> None:
    result = invoke("remove", "NCT09999999")
    assert (result.exit_code, result.stderr) == (2, "Error: NCT09999999: not watched\n")


def test_remove_keeps_history(invoke: Any) -> None:
    invoke("add", NCT)
    assert invoke("remove", NCT).stdout == f"Stopped watching {NCT} (history kept).\n"
    assert _json(invoke("list", "--json")) == []
    assert len(_json(invoke("history", NCT, "--json"))) == 1


@pytest.mark.parametrize("command", [["show", NCT], ["history", NCT], ["diff", NCT]])
def test_unknown_trial_exits_2(invoke: Any, command: list[str]) -> None:
    result = invoke(*command)
    assert (result.exit_code, result.stderr) == (2, f"Error: {NCT}: not watched\n")


def test_show_of_a_missing_version(invoke: Any) -> None:
    invoke("add", NCT)
    result = invoke("show", NCT, "--version", "7")
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: {NCT}: no version 7 (versions 1 to 1)\n",
    )


def test_check_failure_exits_1_and_json_stays_json(invoke: Any, server: RegistryServer) -> None:
    invoke("add", NCT, "--no-fetch")
    del server.state.studies[NCT]
    result = invoke("check", "--json")
    assert result.exit_code == 1
    body = _json(result)
    assert body["checked"] == 1 and body["changed"] == []
    assert body["failed"][0]["trial_id"] == NCT
    assert "the register has no such record (HTTP 404" in body["failed"][0]["error"]


def test_import_text_and_csv_lists(invoke: Any, tmp_path: Path) -> None:
    txt = tmp_path / "ids.txt"
    txt.write_text(f"# our trials\n{NCT}  lung study\n\nnct04267848\n")
    result = invoke("import", str(txt), "--no-fetch")
    assert result.exit_code == 0
    assert result.stdout == f"1 trial IDs in {txt}: 1 newly watched, 0 already watched.\n"
    csv = tmp_path / "ids.csv"
    csv.write_text("Title;Trial ID\nACCIO;NCT04267848\nOther;NCT01234567\n")
    result = invoke("import", str(csv), "--no-fetch")
    assert result.stdout.startswith(f"2 trial IDs in {csv}: 1 newly watched, 1 already")
    assert [w["trial_id"] for w in _json(invoke("list", "--json"))] == ["NCT01234567", NCT]


def test_import_names_the_bad_line_and_stores_nothing(invoke: Any, tmp_path: Path) -> None:
    txt = tmp_path / "ids.txt"
    txt.write_text(f"{NCT}\nNCT01234567\nNCT-oops\n")
    result = invoke("import", str(txt))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {txt} line 3: 'NCT-oops': not a trial ID of any known "
        "register (expected forms like NCT01234567, EUCTR2017-001400-29-FR, "
        "CTIS2023-507385-11-00, ISRCTN12345678)\n"
    )
    assert _json(invoke("list", "--json")) == []


def test_parse_prints_a_json_array(invoke: Any) -> None:
    result = invoke(
        "parse",
        str(DATA / "biomcp_search_phelan_limit5_20260811.json"),
        "--source",
        "ctgov",
        "--json",
    )
    assert result.exit_code == 0
    records = _json(result)
    assert [r["trial_id"] for r in records][:2] == ["NCT02710084", "NCT05105685"]


def test_parse_of_another_format_exits_2(invoke: Any) -> None:
    path = DATA / "biomcp_capture-receipts_ctgov_excerpt.json"
    result = invoke("parse", str(path), "--source", "ctgov")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: not a ClinicalTrials.gov API v2 payload")


def test_bad_config_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[schedule]\ncheck_interval = "often"\n')
    result = CliRunner().invoke(cli, ["--config", str(bad), "list"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {bad}: schedule.check_interval: expected a duration such "
        'as "30s", "90m", "24h" or "7d", got \'often\'\n'
    )


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"], prog_name="watcher")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: watcher {command} ")
    summary = cli.commands[command].get_short_help_str(limit=60).rstrip(".")
    assert summary and summary in " ".join(result.stdout.split())


def test_diff_shows_what_changed_since_we_started_watching(
    invoke: Any, server: RegistryServer
) -> None:
    """A change made and reverted between two later checks cancels out in "since start"."""
    invoke("add", NCT)
    status = server.state.studies[NCT]["protocolSection"]["statusModule"]
    design = server.state.studies[NCT]["protocolSection"]["designModule"]
    status["overallStatus"] = "SUSPENDED"
    invoke("check")
    status["overallStatus"] = "RECRUITING"
    design["enrollmentInfo"]["count"] = 800
    invoke("check")
    diff = _json(invoke("diff", NCT, "--json"))
    assert [c["field"] for c in diff["changes"]] == ["recruitment_status", "target_sample_size"]
    assert [c["summary"] for c in diff["since_start"]] == ["Target sample size: 1210 → 800 (−34%)"]
    text = invoke("diff", NCT).stdout
    assert "Major changes since we started watching (version 1, " in text
    since = text.split("Major changes since we started watching")[1]
    assert "Target sample size: 1210 → 800 (−34%)" in since
    assert "SUSPENDED" not in since  # made and reverted: it cancels out
    assert "Target sample size cut by 34% since we started watching (1210 → 800)" in text
    assert _json(invoke("diff", NCT, "--from", "1", "--json"))["since_start"] == []


def test_the_test_clock_is_honoured_only_under_the_tests() -> None:
    """``$WATCHER_TEST_NOW`` moves the commands' clock only while pytest runs a test: a
    variable left in an office's environment never does."""
    from watcher.clock import clock_from, utcnow

    moment = {"WATCHER_TEST_NOW": TODAY}
    assert clock_from(moment) is utcnow
    fixed = clock_from({**moment, "PYTEST_CURRENT_TEST": "tests/test_cli.py::x (call)"})
    assert fixed().isoformat() == TODAY
