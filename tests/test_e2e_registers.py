"""The real `watcher` command watching ICTRP and EUCTR records on the local register server."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import run_watcher, write_config
from tests.registry_server import RegistryServer, RegistryState, isrctn_trials

pytestmark = pytest.mark.e2e
DATA = Path(__file__).parent / "data"
PAGE = DATA / "ictrp" / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt"
DOWNLOAD = DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
EXPORT = DATA / "ictrp" / "ictrp-export-2024-06-09-part-a.xml"


@pytest.fixture
def registers() -> Any:
    state = RegistryState(
        ictrp_pages={"EUCTR2017-001400-29-FR": PAGE.read_bytes()},
        euctr_download=DOWNLOAD.read_text(encoding="utf-8"),
    )
    with RegistryServer(state) as server:
        yield server


def _watch_page(registers: RegistryServer, tmp_path: Path) -> tuple[Path, str]:
    """The seed's ICTRP page watched, with its first version stored."""
    db = f"sqlite:///{tmp_path / 'w.db'}"
    config = write_config(tmp_path / "watcher.toml", registers.url, db)
    tid = "EUCTR2017-001400-29-FR"
    assert run_watcher(["add", tid, "--source", "ictrp"], config).returncode == 0
    return config, tid


def _json(result: Any) -> Any:
    assert result.returncode == 0, result.stderr
    return orjson.loads(result.stdout)


def test_a_change_in_an_ictrp_record_shows_in_diff(
    registers: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "watcher.toml", registers.url, db_url)
    tid = "EUCTR2017-001400-29-FR"
    added = run_watcher(["add", tid, "--source", "ictrp"], config)
    assert added.returncode == 0, added.stderr
    assert f"{tid}: baseline version 1 stored." in added.stdout
    assert _json(run_watcher(["show", tid, "--json"], config))["target_sample_size"] == 10

    unchanged = run_watcher(["check", "--json"], config)
    assert _json(unchanged)["changed"] == []

    page = PAGE.read_text(encoding="utf-8")
    page = page.replace("Last refreshed on: 20 August 2018", "Last refreshed on: 3 September 2018")
    page = page.replace(
        "Recruitment status: Authorised-recruitment may be ongoing or finished",
        "Recruitment status: Not Recruiting",
    )
    page = page.replace("Target sample size: 10", "Target sample size: 12")
    registers.state.ictrp_pages[tid] = page.encode()
    assert _json(run_watcher(["check", "--json"], config))["changed"] == [tid]

    diff = _json(run_watcher(["diff", tid, "--json"], config))
    assert [(c["field"], c["old"], c["new"], c["significance"]) for c in diff["changes"]] == [
        ("last_refreshed", "2018-08-20", "2018-09-03", "metadata"),
        (
            "recruitment_status",
            "Authorised-recruitment may be ongoing or finished",
            "Not Recruiting",
            "major",
        ),
        ("target_sample_size", 10, 12, "major"),
    ]


def test_an_ictrp_not_found_page_fails_the_check_and_keeps_the_last_version(
    registers: RegistryServer, tmp_path: Path
) -> None:
    config, tid = _watch_page(registers, tmp_path)
    del registers.state.ictrp_pages[tid]  # ICTRP now answers its own "not found" page, 200
    checked = run_watcher(["check"], config)
    assert checked.returncode == 1
    assert (
        f"{tid}: check failed: ictrp '{tid}': not an ICTRP trial record: no 'Main ID:' and "
        "no 'Last refreshed on:'"
    ) in checked.stdout
    assert [h["version"] for h in _json(run_watcher(["history", tid, "--json"], config))] == [1]
    [watch] = _json(run_watcher(["list", "--json"], config))
    assert watch["status"] == "failing"


def test_a_bare_eudract_number_watches_every_member_state(
    registers: RegistryServer, db_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "watcher.toml", registers.url, db_url)
    added = run_watcher(
        ["add", "EUCTR2022-002568-62", "--label", "AVB-101", "--tag", "ftd"], config
    )
    assert added.returncode == 0, added.stderr
    assert (
        "EUCTR2022-002568-62: the whole trial, 2 member record(s): EUCTR2022-002568-62-ES, "
        "EUCTR2022-002568-62-SE"
    ) in added.stdout
    assert "EUCTR2022-002568-62-ES: baseline version 1 stored." in added.stdout
    watches = {w["trial_id"]: w for w in _json(run_watcher(["list", "--json"], config))}
    assert sorted(watches) == [
        "EUCTR2022-002568-62",
        "EUCTR2022-002568-62-ES",
        "EUCTR2022-002568-62-SE",
    ]
    assert watches["EUCTR2022-002568-62-SE"]["label"] == "AVB-101"
    assert watches["EUCTR2022-002568-62-SE"]["tags"] == ["ftd"]
    assert len(registers.state.log) == 1  # one download for the whole trial

    # The Spanish record ends early (its summary and its section P. say so) and its planned
    # size in Spain changes.
    download = registers.state.euctr_download
    start = download.index("National Competent Authority: Spain - AEMPS")
    end = download.index("Summary", start)
    spain = (
        download[start:end]
        .replace("Trial Status: Ongoing", "Trial Status: Prematurely Ended")
        .replace("F.4.1 In the member state: 5", "F.4.1 In the member state: 3")
    )
    registers.state.euctr_download = download[:start] + spain + download[end:]
    checked = _json(run_watcher(["check", "--json"], config))
    assert checked["changed"] == ["EUCTR2022-002568-62-ES"] and checked["failed"] == []
    diff = _json(run_watcher(["diff", "EUCTR2022-002568-62-ES", "--json"], config))
    assert [(c["field"], c["old"], c["new"]) for c in diff["changes"]] == [
        ("recruitment_status", "Ongoing", "Prematurely Ended"),
        ("end_of_trial_status", "Ongoing", "Prematurely Ended"),
        ("target_sample_size_member_state", 5, 3),
    ]

    # The whole-trial ID the user typed: its row stands for its member states, a review of
    # it reviews them, and a command that needs one record names them.
    whole = _json(run_watcher(["list", "--json"], config))
    assert [w["members"] for w in whole if w["trial_id"] == "EUCTR2022-002568-62"] == [
        ["EUCTR2022-002568-62-ES", "EUCTR2022-002568-62-SE"]
    ]
    listed = run_watcher(["list"], config).stdout
    assert "2 member states" in listed
    reviewed = run_watcher(["review", "EUCTR2022-002568-62", "--by", "Ana"], config)
    assert reviewed.returncode == 0, reviewed.stderr
    history = _json(run_watcher(["history", "EUCTR2022-002568-62-ES", "--json"], config))
    assert history[-1]["reviewed_by"] == "Ana"
    shown = _json(run_watcher(["show", "EUCTR2022-002568-62", "--json"], config))
    assert shown["trial_id"] == "EUCTR2022-002568-62"
    assert [r["trial_id"] for r in shown["members"]] == [
        "EUCTR2022-002568-62-ES",
        "EUCTR2022-002568-62-SE",
    ]
    history = _json(run_watcher(["history", "EUCTR2022-002568-62", "--json"], config))
    assert [(h["trial_id"], h["version"]) for h in history] == [
        ("EUCTR2022-002568-62-ES", 1),
        ("EUCTR2022-002568-62-ES", 2),
        ("EUCTR2022-002568-62-SE", 1),
    ]
    whole_diff = _json(run_watcher(["diff", "EUCTR2022-002568-62", "--json"], config))
    assert [d["trial_id"] for d in whole_diff["members"]] == [
        "EUCTR2022-002568-62-ES",
        "EUCTR2022-002568-62-SE",
    ]
    assert whole_diff["members"][0]["changes"] == diff["changes"]
    text = run_watcher(["diff", "EUCTR2022-002568-62"], config).stdout
    assert "EUCTR2022-002568-62-SE: only one version stored so far." in text
    exported = run_watcher(["export", "EUCTR2022-002568-62"], config)
    assert exported.returncode == 0, exported.stderr
    filed = list(csv.reader(io.StringIO(exported.stdout.removeprefix("\ufeff"), newline="")))
    assert {(r[0], r[1], r[2]) for r in filed[1:]} == {("EUCTR2022-002568-62-ES", "AVB-101", "2")}


def test_import_of_an_ictrp_export_routes_each_register(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "watcher.toml", "http://127.0.0.1:9", f"sqlite:///{tmp_path / 'w.db'}"
    )
    result = run_watcher(["import", str(EXPORT), "--no-fetch"], config)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"48 trial IDs in {EXPORT}: 48 newly watched, 0 already watched.\n"
    sources: dict[str, set[str]] = {}
    for watch in _json(run_watcher(["list", "--json"], config)):
        sources.setdefault(watch["source"], set()).add(watch["trial_id"][:4])
    assert sources == {
        "ctgov": {"NCT0"},
        "euctr": {"EUCT"},
        "ictrp": {"DRKS", "JPRN", "ChiC", "KCT0", "NL-O"},
    }


def test_parse_recognizes_each_ictrp_format(tmp_path: Path) -> None:
    for path, count in (
        (EXPORT, 48),
        (PAGE, 1),
        (DATA / "ictrp-versions" / "ictrp-covid19-csv" / "2020-04-07.csv", 51),
    ):
        records = _json(run_watcher(["parse", str(path), "--source", "ictrp"]))
        assert len(records) == count, path.name
    refused = run_watcher(["parse", str(DOWNLOAD), "--source", "ictrp"])
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"Error: {DOWNLOAD}: not an ICTRP format")


def test_a_page_that_lost_most_labels_raises_the_format_alarm(
    registers: RegistryServer, tmp_path: Path
) -> None:
    """A register that renames its labels would otherwise be stored as a version that
    removes those fields: the check fails with the alarm instead, stores nothing, and finds
    the record unchanged once the register serves it whole again."""
    config, tid = _watch_page(registers, tmp_path)
    whole = PAGE.read_text(encoding="utf-8")
    # The labels a new layout would rename; the ones the page is known by stay.
    kept = ("Main ID:", "Last refreshed on:", "Register:")
    stripped = "\n".join(
        line if line.startswith(kept) or ":" not in line else "X-" + line
        for line in whole.split("\n")
    )
    registers.state.ictrp_pages[tid] = stripped.encode()
    checked = run_watcher(["check"], config)
    assert checked.returncode == 1
    assert f"{tid}: check failed: ictrp '{tid}': the register's format may have changed" in (
        checked.stdout
    )
    assert "public_title" in checked.stdout and "not stored" in checked.stdout
    assert [h["version"] for h in _json(run_watcher(["history", tid, "--json"], config))] == [1]

    registers.state.ictrp_pages[tid] = whole.encode()
    again = _json(run_watcher(["check", "--json"], config))
    assert (again["changed"], again["failed"]) == ([], [])


def test_a_withdrawn_record_emptied_by_its_register_is_stored(
    registers: RegistryServer, tmp_path: Path
) -> None:
    config, tid = _watch_page(registers, tmp_path)
    lines = PAGE.read_text(encoding="utf-8").split("\n")
    keep = ("Main ID:", "Last refreshed on:", "Register:", "Recruitment status:")
    emptied = [
        "Recruitment status: Withdrawn" if line.startswith("Recruitment status:") else line
        for line in lines
        if line.startswith(keep) or ":" not in line
    ]
    registers.state.ictrp_pages[tid] = "\n".join(emptied).encode()
    checked = _json(run_watcher(["check", "--json"], config))
    assert checked["changed"] == [tid]


CTIS = DATA / "ctis" / "ctis_retrieve_2022-501417-31-00.json"
ISRCTN = DATA / "isrctn" / "isrctn_api_who_format_3trials.xml"


@pytest.fixture
def eu_registers() -> Any:
    state = RegistryState(
        ctis={"2022-501417-31-00": orjson.loads(CTIS.read_bytes())},
        isrctn=isrctn_trials(ISRCTN.read_bytes()),
    )
    with RegistryServer(state) as server:
        yield server


def test_a_ctis_trial_is_watched_on_ctis_and_a_member_state_change_is_major(
    eu_registers: RegistryServer, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "watcher.toml", eu_registers.url, f"sqlite:///{tmp_path / 'w.db'}"
    )
    added = run_watcher(["add", "2022-501417-31-00"], config)  # the bare EU CT number
    assert added.returncode == 0, added.stderr
    assert "Watching CTIS2022-501417-31-00 (ctis)." in added.stdout
    assert "CTIS2022-501417-31-00: baseline version 1 stored." in added.stdout
    again = run_watcher(["add", "CTIS2022-501417-31-00"], config)
    assert "Already watching CTIS2022-501417-31-00 (ctis)." in again.stdout
    assert _json(run_watcher(["check", "--json"], config))["changed"] == []

    record = eu_registers.state.ctis["2022-501417-31-00"]
    spain = next(
        p
        for p in record["authorizedApplication"]["authorizedPartsII"]
        if p["mscInfo"]["countryName"] == "Spain"
    )
    spain["mscInfo"]["trialStatus"] = "Authorised, recruiting"
    assert _json(run_watcher(["check", "--json"], config))["changed"] == ["CTIS2022-501417-31-00"]
    diff = _json(run_watcher(["diff", "CTIS2022-501417-31-00", "--json"], config))
    assert [(c["field"], c["significance"], c["summary"]) for c in diff["changes"]] == [
        (
            "member_states",
            "major",
            "Member states: Spain: status Not authorised → Authorised, recruiting",
        )
    ]


def test_an_isrctn_trial_is_watched_on_isrctn(eu_registers: RegistryServer, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "watcher.toml", eu_registers.url, f"sqlite:///{tmp_path / 'w.db'}"
    )
    added = run_watcher(["add", "ISRCTN13555554"], config)
    assert added.returncode == 0, added.stderr
    assert "Watching ISRCTN13555554 (isrctn)." in added.stdout
    shown = _json(run_watcher(["show", "ISRCTN13555554", "--json"], config))
    assert (shown["source"], shown["actual_enrolment"]) == ("isrctn", 42)  # "Actual" there
    unknown = run_watcher(["add", "ISRCTN00000000"], config)
    assert "ISRCTN00000000: no baseline yet: isrctn 'ISRCTN00000000'" in unknown.stderr


def test_a_trial_watched_through_ictrp_moves_to_ctis_keeping_its_history(
    eu_registers: RegistryServer, tmp_path: Path
) -> None:
    """Before this release CTIS trials were watched through ICTRP: `watcher add` with the
    new default (or --source ctis) moves the watch; its history stays, and the first CTIS
    reading starts the history there, never alerted as changes."""
    tid = "CTIS2022-501417-31-00"
    # ICTRP's page of the trial: the seed's real page under this trial's ID.
    page = PAGE.read_text(encoding="utf-8").replace("EUCTR2017-001400-29-FR", tid)
    eu_registers.state.ictrp_pages[tid] = page.encode()
    config = write_config(
        tmp_path / "watcher.toml", eu_registers.url, f"sqlite:///{tmp_path / 'w.db'}"
    )
    assert run_watcher(["add", tid, "--source", "ictrp"], config).returncode == 0
    moved = run_watcher(["add", tid], config)
    assert f"Already watching {tid} (ctis)." in moved.stdout
    assert f"{tid}: baseline version 2 stored." in moved.stdout
    history = _json(run_watcher(["history", tid, "--json"], config))
    assert [(h["version"], h["source"]) for h in history] == [(1, "ictrp"), (2, "ctis")]
    assert _json(run_watcher(["check", "--json"], config))["changed"] == []
