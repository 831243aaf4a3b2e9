"""One trial, several registrations: what records name, `show`/`list`, `add --linked`, and
the red flag when two watched registrations of one trial come to disagree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import run_watcher, write_config
from tests.registry_server import RegistryServer, RegistryState, load_study
from watcher.core.links import LinkRules, disagreements, linked_ids
from watcher.core.model import Watch
from watcher.registrations import linked, linked_index

DATA = Path(__file__).parent / "data"
DOWNLOAD = DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
EXPORT = DATA / "ictrp" / "ictrp-export-2024-06-09-part-a.xml.expected.json"
NCT, EU = "NCT04267848", "EUCTR2022-002568-62-ES"


def test_records_name_their_other_registrations_in_any_writing() -> None:
    records = {r["trial_id"]: r for r in orjson.loads(EXPORT.read_bytes())}
    # Real ICTRP export records: an EUCTR member state naming its CT.gov registration, and a
    # CT.gov record naming the EudraCT number (the whole EUCTR trial).
    assert linked_ids(records["EUCTR2021-000037-14-DK"]) == ["NCT04973137"]
    assert linked_ids(records["NCT04601051"]) == ["EUCTR2020-002034-32"]
    record = {
        "trial_id": "ISRCTN13555554",
        "secondary_ids": ["EudraCT 2020-001234-56", "nct04280705", "2023-507385-11-00", "364497"],
    }
    assert linked_ids(record) == ["CTIS2023-507385-11-00", "EUCTR2020-001234-56", "NCT04280705"]


def test_registrations_disagree_on_status_size_and_end() -> None:
    a = {
        "trial_id": "A",
        "status": "completed",
        "recruitment_status": "Completed",
        "target_sample_size": 100,
        "completion_date": "2024-01-01",
    }
    b = {
        "trial_id": "B",
        "status": "recruiting",
        "recruitment_status": "Recruiting",
        "target_sample_size": 130,
        "completion_date": "2024-06-01",
    }
    assert [f.message for f in disagreements(a, b, LinkRules())] == [
        "Registrations of this trial disagree on status: A says 'Completed', B says 'Recruiting'",
        "Registrations of this trial disagree on target sample size: A says 100, B says 130 "
        "(23% apart)",
        "Registrations of this trial disagree on end date: A says 2024-01-01, B says "
        "2024-06-01 (152 days apart)",
    ]
    b.update(status="completed", target_sample_size=110, completion_date="2024-02-01")
    assert disagreements(a, b, LinkRules()) == []


@pytest.fixture
def linked_registers() -> Any:
    """The real CT.gov record, naming the real EUCTR trial among its secondary IDs."""
    study = load_study()
    ident = study["protocolSection"]["identificationModule"]
    ident["secondaryIdInfos"].append({"id": "2022-002568-62", "type": "EUDRACT_NUMBER"})
    state = RegistryState(studies={NCT: study}, euctr_download=DOWNLOAD.read_text(encoding="utf-8"))
    with RegistryServer(state) as server:
        yield server


def _json(result: Any) -> Any:
    assert result.returncode == 0, result.stderr
    return orjson.loads(result.stdout)


pytestmark = pytest.mark.e2e


def test_the_linked_index_finds_what_linked_finds_for_each_trial() -> None:
    """``linked_index`` (every trial at once, `list --json`) agrees with ``linked`` (one
    trial, `show`): what a record names, who names it, who names the same registration."""
    watches = [
        Watch("NCT04267848", "ctgov", "ctgov", links=("EUCTR2022-002568-62",)),
        Watch("EUCTR2022-002568-62-ES", "euctr", "euctr", links=()),
        Watch("EUCTR2022-002568-62-SE", "euctr", "euctr", links=None),
        Watch("ISRCTN12345678", "isrctn", "isrctn", links=("EUCTR2022-002568-62",)),
        Watch("NCT00000102", "ctgov", "ctgov", links=("DRKS00012345",)),
        Watch("DRKS00012345", "ictrp", "ictrp", links=()),
    ]
    index = linked_index(watches)
    for w in watches:
        assert index[w.trial_id] == [x.trial_id for x in linked(w.trial_id, w.links or (), watches)]
    assert index["EUCTR2022-002568-62-ES"] == ["ISRCTN12345678", "NCT04267848"]
    assert index["NCT04267848"] == ["EUCTR2022-002568-62", "ISRCTN12345678"]
    assert index["DRKS00012345"] == ["NCT00000102"]


def test_linked_registrations_are_shown_watched_and_flagged_when_they_disagree(
    linked_registers: RegistryServer, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "watcher.toml", linked_registers.url, f"sqlite:///{tmp_path / 'w.db'}"
    )
    added = run_watcher(["add", NCT, "--linked"], config)
    assert added.returncode == 0, added.stderr
    assert "Other registrations named: EUCTR2022-002568-62" in added.stdout
    assert f"{EU}: baseline version 1 stored." in added.stdout
    listed = {w["trial_id"]: w for w in _json(run_watcher(["list", "--json"], config))}
    assert EU in listed and listed[NCT]["linked"] == ["EUCTR2022-002568-62"]
    # Both ways, as in `show`: the EUCTR records do not name the NCT number, it names them.
    assert NCT in listed[EU]["linked"]
    shown = _json(run_watcher(["show", NCT, "--json"], config))
    assert shown["linked"] == [
        {"trial_id": "EUCTR2022-002568-62", "registry": "euctr", "watched": True}
    ]
    other = _json(run_watcher(["show", EU, "--json"], config))
    assert {"trial_id": NCT, "registry": "ctgov", "watched": True} in other["linked"]

    def status_flags(trial_id: str) -> list[str]:
        flags = _json(run_watcher(["diff", trial_id, "--json"], config))["flags"]
        return [
            f["message"]
            for f in flags
            if f["code"] == "registrations_disagree" and "on status" in f["message"]
        ]

    assert status_flags(NCT) == []  # both ongoing
    study = linked_registers.state.studies[NCT]
    study["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    assert NCT in _json(run_watcher(["check", "--json"], config))["changed"]
    # The whole EUCTR trial is watched: each of its member states' records disagrees.
    assert status_flags(NCT) == [
        f"Registrations of this trial disagree on status: {NCT} says 'Completed', "
        f"EUCTR2022-002568-62-{country} says 'Ongoing'"
        for country in ("ES", "SE")
    ]
    digest = run_watcher(["digest"], config).stdout
    assert re.search(r"Registrations of one trial that disagree \(\d+\):", digest), digest
    assert f"{EU} says 'Ongoing'" in digest


def test_a_registration_named_later_is_reported(
    linked_registers: RegistryServer, tmp_path: Path, smtp: Any
) -> None:
    from tests.conftest import mail_config

    study = linked_registers.state.studies[NCT]
    ids = study["protocolSection"]["identificationModule"]["secondaryIdInfos"]
    named = ids.pop()  # not named yet when the trial is first watched
    config = mail_config(
        tmp_path / "watcher.toml", linked_registers.url, f"sqlite:///{tmp_path / 'w.db'}", smtp.port
    )
    assert run_watcher(["add", NCT], config).returncode == 0
    ids.append(named)
    assert run_watcher(["check"], config).returncode == 0
    [alert] = smtp.messages
    text = alert.get_body(("plain",)).get_content()
    assert "New registration(s) of this trial named: EUCTR2022-002568-62" in text
    digest = run_watcher(["digest"], config).stdout
    assert "New registration(s) of this trial named: EUCTR2022-002568-62" in digest
