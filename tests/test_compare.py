"""`watcher compare` on two real ICTRP COVID-19 exports (7 and 15 April 2020).

EXPECTED was built by reading the raw columns of both files, outside watcher: for each trial
in both, the columns whose text differs once whitespace and <br> are folded, mapped to the
record's fields. Left out as no change: `Export date`, and the de-duplication flags `other
records`, `Bridging flag truefalse` and `Bridged type`, which flip by themselves; and the
columns whose ";"-joined items only changed order (countries of EUCTR2015-002340-14-NL and
EUCTR2020-001162-12-FR, the outcomes of eight trials, the interventions of five); and the
contact columns of NCT04322773 and NCT04332094, which list the same person in more or fewer
";"-slots (Lars Erik Kristensen three times, then twice; Pere Domingo once, then twice).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.conftest import run_cli

CSV = Path(__file__).parent / "data" / "ictrp-versions" / "ictrp-covid19-csv"
OLD, NEW = CSV / "2020-04-07.csv", CSV / "2020-04-15.csv"

LR, RS, FE, CT = "last_refreshed", "recruitment_status", "first_enrolment_date", "contacts"
EXPECTED: dict[str, set[str]] = {
    "ACTRN12620000443998": {LR},
    "ACTRN12620000445976": {LR},
    "ACTRN12620000447954": {LR},
    "ChiCTR2000030328": {LR, "public_title"},
    "ChiCTR2000030750": {LR, "inclusion_criteria", "exclusion_criteria"},
    "EUCTR2020-001039-29-GR": {LR, "target_sample_size", "inclusion_criteria", "primary_outcomes"},
    "EUCTR2020-001270-29-GB": {LR, "inclusion_criteria", "exclusion_criteria"},
    "ISRCTN13694948": {LR},
    "ISRCTN16912075": {LR},
    "ISRCTN50189673": {LR},
    "NCT04245631": {LR, "phase"},
    "NCT04274322": {LR, FE, "target_sample_size", "phase", "countries", CT},
    "NCT04292899": {
        LR,
        "age_min",
        "target_sample_size",
        "countries",
        "inclusion_criteria",
        "primary_outcomes",
    },
    "NCT04298060": {LR},
    "NCT04302766": {LR, FE, "prospective_registration"},
    "NCT04317040": {LR, RS, FE, "inclusion_criteria"},
    "NCT04319016": {LR, "phase"},
    "NCT04319445": {LR, RS, FE, "countries", CT},
    "NCT04320615": {LR, RS, "countries"},
    "NCT04321096": {LR, RS, CT},
    "NCT04322123": {LR, "public_title", RS, FE, CT},
    "NCT04322396": {LR, RS, FE, "phase", "countries", "conditions"},
    "NCT04322773": {LR, RS, FE},
    "NCT04325893": {LR, "public_title", RS, "countries", "inclusion_criteria", "primary_outcomes"},
    "NCT04326387": {LR, "public_title", RS, FE, "countries", CT},
    "NCT04328467": {LR, RS, FE, CT, "inclusion_criteria"},
    "NCT04329832": {LR, RS, FE},
    "NCT04329923": {LR, RS, FE, CT, "inclusion_criteria"},
    "NCT04330638": {LR, RS, "age_min", "age_max", "phase", "inclusion_criteria"},
    "NCT04331470": {LR, RS, FE, "countries", CT},
    "NCT04332081": {LR, RS, FE, CT},
    "NCT04332094": {LR, RS, FE, "countries", "conditions"},
    "NCT04332991": {LR, RS, FE},
    "NCT04333407": {LR, RS, FE, "countries", CT, "primary_outcomes"},
    "NL8460": {LR, "target_sample_size"},
    "NL8491": {LR},
}
REORDERED_ONLY = [
    "EUCTR2015-002340-14-NL",
    "EUCTR2020-000936-23-FR",
    "EUCTR2020-001010-38-NO",
    "EUCTR2020-001162-12-FR",
    "EUCTR2020-001172-15-DK",
    "EUCTR2020-001271-33-FR",
    "EUCTR2020-001275-32-DK",
    "IRCT20100228003449N28",
    "NCT04244591",
    "NCT04246242",
    "NCT04251871",
    "NCT04261426",
]


def _compare() -> dict[str, object]:
    result = run_cli(["compare", str(OLD), str(NEW), "--source", "ictrp", "--json"])
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = orjson.loads(result.stdout)
    return document


def test_compare_reports_the_real_changes_and_no_others() -> None:
    document = _compare()
    changed = {c["trial_id"]: c["changes"] for c in document["changed"]}  # type: ignore[attr-defined]
    assert {t: {c["field"] for c in cs} for t, cs in changed.items()} == EXPECTED
    for trial in REORDERED_ONLY:
        assert trial not in changed, f"{trial} only reordered ';' lists"


def test_the_trials_missing_from_the_later_export_are_removed() -> None:
    document = _compare()
    assert document["removed"] == ["NCT04226157", "NCT04333914"]
    assert document["added"] == []


def test_what_the_changes_say() -> None:
    changed = {c["trial_id"]: c["changes"] for c in _compare()["changed"]}  # type: ignore[attr-defined]
    status = next(c for c in changed["NCT04317040"] if c["field"] == RS)
    assert (status["old"], status["new"], status["significance"]) == (
        "Not recruiting",
        "Recruiting",
        "major",
    )
    assert not any(c["field"] == "status" for c in changed["NCT04317040"])  # one edit, one line
    size = next(c for c in changed["NCT04292899"] if c["field"] == "target_sample_size")
    assert size["summary"] == "Target sample size: 400 → 2400 (+500%)"
    start = next(c for c in changed["NCT04302766"] if c["field"] == FE)
    assert start["summary"] == (
        "Date of first enrolment moved 26 months earlier (2020-03-01 → 2018-01-01)"
    )
    refreshed = next(c for c in changed["NL8491"] if c["field"] == LR)
    assert refreshed["significance"] == "metadata"


def test_contacts_are_compared_by_who_they_are() -> None:
    """The same people in other ";"-slots are no change; people who came, went or changed a
    detail are, each said once (read from the raw columns of both files)."""
    changed = {c["trial_id"]: c["changes"] for c in _compare()["changed"]}  # type: ignore[attr-defined]
    contacts = {
        t: sorted(c["summary"] for c in cs if c["field"] == CT) for t, cs in changed.items()
    }
    assert contacts["NCT04274322"] == ["Contacts: removed Qinggang Ge, M.D."]
    assert contacts["NCT04321096"] == [
        "Contacts: Ole S Søgaard, MD PhD: phone +45 78452842 → +45 2499 4962"
    ]
    assert contacts["NCT04328467"] == [
        "Contacts: Radha Rajasingham, MD: email covid19prep@umn.edu → (none)"
    ]
    assert contacts["NCT04322773"] == contacts["NCT04332094"] == []
    assert sum(map(len, contacts.values())) == 15


def test_compare_for_a_person(tmp_path: Path) -> None:
    result = run_cli(["compare", str(OLD), str(NEW), "--source", "ictrp"])
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert "NCT04226157: removed (not in" in result.stdout
    assert lines[-1].startswith(
        f"51 records in {OLD}, 49 in {NEW}: 36 changed, 0 added, 2 removed."
    )
    refused = run_cli(["compare", str(OLD), str(tmp_path / "none.csv"), "--source", "ictrp"])
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"Error: {tmp_path / 'none.csv'}: cannot read it")
