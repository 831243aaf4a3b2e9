"""CTIS: the real whole record and search answer parse to their golden records; a change in
one member state is reported naming it; translations are not content."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import settings_for
from tests.golden import check_golden
from watcher.core.diff import diff_records
from watcher.core.lenient import Notes, take_warnings
from watcher.sources import ctis_record, get

DATA = Path(__file__).parent / "data" / "ctis"
RETRIEVE = DATA / "ctis_retrieve_2022-501417-31-00.json"
SEARCH = DATA / "ctis_search_medicalCondition-diabetes_page1_size3.json"
CTIS = get("ctis", settings_for("http://registry.test"))


def _parse(path: Path, data: bytes | None = None) -> list[dict[str, Any]]:
    records = CTIS.parse_file(data if data is not None else path.read_bytes(), path.name)
    for record in records:
        assert take_warnings(record) == []
    return records


@pytest.mark.parametrize("path", [RETRIEVE, SEARCH], ids=lambda p: p.name)
def test_real_answers_parse_to_their_golden_records(path: Path, update_golden: bool) -> None:
    check_golden(path.with_name(path.name + ".expected.json"), _parse(path), update_golden)


def test_the_whole_record() -> None:
    (record,) = _parse(RETRIEVE)
    assert record["trial_id"] == "CTIS2022-501417-31-00"
    assert record["url"] == "https://euclinicaltrials.eu/ctis-public/view/2022-501417-31-00"
    assert (record["recruitment_status"], record["status"]) == ("Not authorised", "not_authorised")
    # Nine member states' Part II (510 subjects) and 1,296 planned outside the EEA.
    assert len(record["member_states"]) == 9
    assert sum(m["target_sample_size"] for m in record["member_states"]) == 510
    assert record["target_sample_size"] == 1806
    assert sum(m["sites"] for m in record["member_states"]) == 64
    assert record["secondary_ids"] == ["U1111-1280-3661", "IND 161.909"]
    assert record["phase"] == "Therapeutic confirmatory (Phase III)"


def _edited(edit: Any) -> dict[str, Any]:
    raw = orjson.loads(RETRIEVE.read_bytes())
    changed = copy.deepcopy(raw)
    edit(changed)
    (record,) = _parse(RETRIEVE, orjson.dumps(changed))
    return record


def test_a_change_in_one_member_state_is_reported_naming_it() -> None:
    (before,) = _parse(RETRIEVE)

    def halt_austria(data: dict[str, Any]) -> None:
        parts = data["authorizedApplication"]["authorizedPartsII"]
        austria = next(p for p in parts if p["mscInfo"]["countryName"] == "Austria")
        austria["mscInfo"]["trialStatus"] = "Temporarily halted"
        austria["recruitmentSubjectCount"] = 40

    changes = diff_records(before, _edited(halt_austria))
    assert [(c.field, c.significance, c.summary) for c in changes] == [
        ("target_sample_size", "major", "Target sample size: 1806 → 1792 (−1%)"),
        (
            "member_states",
            "major",
            "Member states: Austria: status Not authorised → Temporarily halted; "
            "target_sample_size 54 → 40",
        ),
    ]


def test_a_new_translation_is_no_change() -> None:
    (before,) = _parse(RETRIEVE)

    def translate(data: dict[str, Any]) -> None:
        ids = data["authorizedApplication"]["authorizedPartI"]["trialDetails"][
            "clinicalTrialIdentifiers"
        ]
        ids["publicTitleTranslations"].append(
            {"attributeTranslation": "Klinische Studie", "languageDescription": "German"}
        )

    assert diff_records(before, _edited(translate)) == []


VERSIONS = sorted((DATA.parent / "ctis-versions").glob("*.json"))


@pytest.mark.parametrize("path", VERSIONS, ids=lambda p: p.name[:40])
def test_every_capture_of_every_ctis_format_parses(path: Path) -> None:
    """Real retrieve answers of 2023 and 2024 (before CTIS's June 2024 relaunch), 2024 and
    2026 (after it; in 2026 ``ctStatus`` is the public status code, a number): each reads
    into one record, its status in the portal's words."""
    (record,) = CTIS.parse_file(path.read_bytes(), path.name)
    assert record["trial_id"] == f"CTIS{path.name.split('__')[0]}"
    assert record["recruitment_status"] in ctis_record.STATUS_CODES.values() or (
        record["recruitment_status"] == "Authorised"
    )
    assert record["status"] not in (None, "unknown")


def test_the_2026_status_code_reads_as_the_portal_labels_it() -> None:
    statuses = {
        p.name.split("__imported-")[1][:4]: CTIS.parse_file(p.read_bytes(), p.name)[0][
            "recruitment_status"
        ]
        for p in VERSIONS
        if p.name.startswith("2023-505613-24-00")
    }
    assert statuses == {"2024": "Authorised", "2026": "Ongoing, recruiting"}
    notes = Notes()
    assert ctis_record.status_label(4, notes, "x") == "Ongoing, recruiting"
    assert ctis_record.status_label("11", notes, "x") == "Not authorised"
    assert ctis_record.status_label(99, notes, "x") == "CTIS status code 99"
    assert [w[0] for w in notes.warnings] == ["x"]  # the unknown code, kept with a warning
