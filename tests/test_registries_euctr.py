"""EUCTR, on its real formats: the text download of ten member-state records (duplicates
included) and two protocol pages; fetching through the local register server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import settings_for
from tests.golden import check_golden
from tests.registry_server import Fault, RegistryServer, RegistryState
from watcher.config import from_mapping
from watcher.core.model import Expanded, Fetched
from watcher.errors import FetchError, InputError, NormalizeError, RecordNotFound
from watcher.sources.euctr import Euctr, group_records
from watcher.sources.euctr_format import split_download
from watcher.sources.http import Fetcher, make_client

DATA = Path(__file__).parent / "data" / "euctr"
DOWNLOAD = DATA / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
PAGE_DE = DATA / "euctr_protocol_page_2015-000590-12_DE_2019-01-07.html"
PAGE_3RD = DATA / "euctr_protocol_page_2011-005852-33_3rd_2016-11-30.html"


def _adapter(base_url: str = "http://registry.test") -> Euctr:
    source_type = type(settings_for(base_url).sources["euctr"])
    return Euctr(source_type(base_url, requests_per_minute=6000))


def _parse(path: Path) -> dict[str, dict[str, Any]]:
    return {r["trial_id"]: r for r in _adapter().parse_file(path.read_bytes(), path.name)}


@pytest.mark.parametrize("path", [DOWNLOAD, PAGE_DE, PAGE_3RD], ids=lambda p: p.name)
def test_real_files_parse_to_their_golden_records(path: Path, update_golden: bool) -> None:
    records = _adapter().parse_file(path.read_bytes(), path.name)
    check_golden(path.with_name(path.name + ".expected.json"), records, update_golden)


# -- the download: split by member state, duplicates handled --------------------------------


def test_the_download_splits_into_member_state_records() -> None:
    assert len(split_download(DOWNLOAD.read_text(), "d")) == 10
    assert sorted(_parse(DOWNLOAD)) == [
        "EUCTR2021-002179-21-ES",
        "EUCTR2021-002179-21-FR",
        "EUCTR2021-002179-21-GR",
        "EUCTR2021-002179-21-HU",
        "EUCTR2021-002179-21-PL",
        "EUCTR2021-002179-21-PT",
        "EUCTR2022-002568-62-ES",
        "EUCTR2022-002568-62-SE",
    ]


def test_a_member_state_the_download_repeats_is_one_record() -> None:
    grouped = group_records(DOWNLOAD.read_text(), "d")
    assert len(grouped["EUCTR2022-002568-62-SE"]) == 2
    assert len(grouped["EUCTR2021-002179-21-PL"]) == 2
    records = _parse(DOWNLOAD)
    assert records["EUCTR2022-002568-62-SE"]["duplicate_records"] == 2
    assert records["EUCTR2022-002568-62-ES"]["duplicate_records"] is None
    # The two SE records have the same decision dates: the later one in the file is kept
    # (its whole-trial size is 9, the earlier one's 15).
    assert records["EUCTR2022-002568-62-SE"]["target_sample_size"] == 9


@pytest.fixture(scope="module")
def es() -> dict[str, Any]:
    return _parse(DOWNLOAD)["EUCTR2022-002568-62-ES"]


def test_summary_fields(es: dict[str, Any]) -> None:
    assert (es["registry"], es["source"]) == ("euctr", "euctr")
    assert es["url"] == "https://www.clinicaltrialsregister.eu/ctr-search/trial/2022-002568-62/ES"
    assert es["registration_date"] == "2023-01-16"
    assert (es["recruitment_status"], es["status"]) == ("Ongoing", "ongoing")
    assert es["member_state"] == "Spain - AEMPS"
    assert es["countries"] == ["Spain", "United Kingdom", "United States"]  # + E.8.6.3
    assert es["last_updated"] is None  # EUCTR keeps none: changes are found by content


def test_a_titles_in_english_not_the_translations(es: dict[str, Any]) -> None:
    assert es["scientific_title"].startswith("A Phase 1/2 Open-Label, Ascending Dose")  # A.3
    assert es["public_title"].startswith("A study to test whether AVB-101")  # A.3.1
    assert es["acronym"].startswith("Ph1/2 study of AVB-101")  # A.3.2
    assert es["secondary_ids"] == ["AVB-PGRN-001"]  # A.4.1


def test_b_sponsor_funding_and_contact(es: dict[str, Any]) -> None:
    assert es["primary_sponsor"] == "AviadoBio Ltd"  # B.1.1
    assert es["funding_sources"] == ["AviadoBio Limited"]  # B.4.1
    assert es["contacts"] == [
        {
            "name": "Clinical Trial Management",
            "affiliation": "Medpace",
            "email": "S.Zambruno@Medpace.com",
            "phone": "390283413400",
            "address": "Via Olona 2, Milan, 20123, Italy",
            "role": "Contact point designated by the sponsor",
        }
    ]


def test_d_and_e_conditions_and_interventions(es: dict[str, Any]) -> None:
    assert es["conditions"][0] == (
        "Frontotemporal Dementia With Progranulin Mutations (FTD-GRN)"
    )  # E.1.1, English
    assert es["conditions"][-1] == "Therapeutic area: Diseases [C] - Nervous System Diseases [C10]"
    assert es["interventions"] == [
        "IMP Role: Test\nProduct Name: Recombinant AAV-9 vector expressing the human progranulin "
        "protein\nProduct Code: AVB-101\nPharmaceutical Form: Solution for injection\n"
        "INN or Proposed INN: AVB-101\nCurrent Sponsor code: AVB-101\n"
        "Routes of administration: Intracerebral use"
    ]


def test_e5_end_points_keep_their_lines_and_timepoints(es: dict[str, Any]) -> None:
    [primary] = es["primary_outcomes"]
    assert primary.startswith(
        "Over a 26-week initial and 5year total follow up period:\n• Number and incidence of AEs"
    )
    assert primary.endswith("\nTimepoint(s) of evaluation: 26 weeks and 5 years")
    assert "Durante" not in primary  # the (es) translation is left out
    [secondary] = es["secondary_outcomes"]
    assert "• Change in CGI C, PGI-C, CaGI-C" in secondary


def test_e_design_phase_and_criteria(es: dict[str, Any]) -> None:
    assert es["phase"] == "Human pharmacology (Phase I); Therapeutic exploratory (Phase II)"
    assert es["study_design"].startswith("Controlled: No; Randomised: No; Open: Yes")
    assert es["inclusion_criteria"].startswith("1. Male or female, 30 to 75 years of age")
    assert es["exclusion_criteria"].split("\n")[1].startswith("2. Severe dementia")
    assert es["main_objective"].startswith("To evaluate the safety and tolerability")


def test_f4_member_state_and_whole_trial_sizes_stay_apart(es: dict[str, Any]) -> None:
    assert es["target_sample_size_member_state"] == 5  # F.4.1
    assert es["target_sample_size_eea"] == 7  # F.4.2.1
    assert es["target_sample_size"] == 15  # F.4.2.2, the whole trial
    assert es["target_sample_size_type"] == "anticipated"
    assert es["age_groups"] == ["Adults (18-64 years)", "Elderly (>=65 years)"]
    assert es["gender"] == "Female: Yes; Male: Yes"


def test_n_and_p_review_and_end_of_trial(es: dict[str, Any]) -> None:
    assert es["ethics_review"] == {
        "status": "Favourable",
        "approval_date": "2023-02-03",
        "competent_authority_decision": "Authorised",
        "competent_authority_decision_date": "2023-05-18",
    }
    assert es["end_of_trial_status"] == "Ongoing"
    assert es["results"] == {
        "available": False,
        "date_posted": None,
        "url": None,
    }


# -- protocol pages -------------------------------------------------------------------------


def test_the_protocol_page_of_a_member_state() -> None:
    [(tid, record)] = _parse(PAGE_DE).items()
    assert tid == "EUCTR2015-000590-12-DE"
    assert (record["recruitment_status"], record["status"]) == ("Completed", "completed")
    assert record["target_sample_size"] == 744
    assert len(record["interventions"]) == 10  # D.IMP: 1 to 10
    assert record["ethics_review"]["approval_date"] == "2015-09-03"
    assert "Inclusion criteria at Baseline Visit (Visit 2):" in record["inclusion_criteria"]
    assert "&rsquo;" not in record["inclusion_criteria"]


def test_the_protocol_page_of_a_third_country_record() -> None:
    [(tid, record)] = _parse(PAGE_3RD).items()
    assert tid == "EUCTR2011-005852-33-3RD"
    assert record["url"] == (
        "https://www.clinicaltrialsregister.eu/ctr-search/trial/2011-005852-33/3rd"
    )
    assert record["results"]["available"] is True
    assert record["results"]["url"] == (
        "https://www.clinicaltrialsregister.eu/ctr-search/trial/2011-005852-33/results"
    )
    assert record["recruitment_status"] is None  # third-country records have no status
    assert record["countries"] == ["Benin", "Burkina Faso", "Congo", "Nigeria", "Togo"]
    [imp] = record["interventions"]
    assert "\nINN or Proposed INN: ARTEMETHER, LUMEFANTRINE\n" in imp  # both substances


def test_not_a_euctr_file_is_refused_naming_it() -> None:
    with pytest.raises(InputError, match=r"x\.txt: not an EUCTR text download"):
        _adapter().parse_file(b"Service temporarily unavailable", "x.txt")


# -- fetching: one request per EudraCT number -----------------------------------------------


@pytest.fixture
def euctr_server() -> Any:
    with RegistryServer(RegistryState(euctr_download=DOWNLOAD.read_text())) as server:
        yield server


def _fetch(server: RegistryServer, ids: list[str]) -> tuple[dict[str, Any], Euctr]:
    adapter = _adapter(server.url)
    settings = settings_for(server.url, retries=0)
    with make_client(settings.http) as client:
        return dict(adapter.fetch(Fetcher(client, "euctr", settings.http), ids)), adapter


def test_one_request_serves_every_member_state_asked_for(euctr_server: RegistryServer) -> None:
    ids = ["EUCTR2021-002179-21-PL", "EUCTR2021-002179-21-FR", "EUCTR2022-002568-62-SE"]
    results, adapter = _fetch(euctr_server, ids)
    assert sorted(results) == sorted(ids)
    assert len(euctr_server.state.log) == 2  # one download per EudraCT number
    parsed = _parse(DOWNLOAD)
    for tid in ids:
        assert isinstance(results[tid], Fetched)
        assert adapter.normalize(results[tid]) == parsed[tid]  # as `watcher parse` reads it


def test_a_bare_eudract_number_stands_for_all_its_member_states(
    euctr_server: RegistryServer,
) -> None:
    results, _ = _fetch(euctr_server, ["EUCTR2022-002568-62"])
    expanded = results.pop("EUCTR2022-002568-62")
    assert isinstance(expanded, Expanded)
    assert expanded.members == ("EUCTR2022-002568-62-ES", "EUCTR2022-002568-62-SE")
    assert sorted(results) == list(expanded.members)


def test_a_member_state_missing_from_the_download_is_not_found(
    euctr_server: RegistryServer,
) -> None:
    results, _ = _fetch(euctr_server, ["EUCTR2022-002568-62-DE"])
    error = results["EUCTR2022-002568-62-DE"]
    assert isinstance(error, RecordNotFound)
    assert str(error) == (
        "euctr 'EUCTR2022-002568-62-DE': the register's download of "
        "2022-002568-62 has no DE record (member states in it: ES, SE)"
    )


def test_an_empty_download_is_a_parse_error_not_an_empty_record(
    euctr_server: RegistryServer,
) -> None:
    results, _ = _fetch(euctr_server, ["EUCTR1999-000001-11-FR"])
    error = results["EUCTR1999-000001-11-FR"]
    assert isinstance(error, NormalizeError)
    assert "holds no record of 1999-000001-11" in str(error)


def test_a_maintenance_page_with_status_200_is_a_parse_error(
    euctr_server: RegistryServer,
) -> None:
    euctr_server.state.faults["euctr:2021-002179-21"] = Fault(
        200,
        b"<html><body>The EU Clinical Trials Register is under maintenance</body></html>",
        "text/html",
    )
    results, _ = _fetch(euctr_server, ["EUCTR2021-002179-21-FR"])
    error = results["EUCTR2021-002179-21-FR"]
    assert isinstance(error, NormalizeError)
    assert "is not an EUCTR text download" in str(error)
    assert error.trial_id == "EUCTR2021-002179-21-FR"


def test_a_server_error_names_each_trial_it_stopped(euctr_server: RegistryServer) -> None:
    euctr_server.state.faults["euctr:2021-002179-21"] = Fault(503)
    results, _ = _fetch(euctr_server, ["EUCTR2021-002179-21-FR", "EUCTR2021-002179-21-PL"])
    for tid in ("EUCTR2021-002179-21-FR", "EUCTR2021-002179-21-PL"):
        assert isinstance(results[tid], FetchError)
        assert str(results[tid]).startswith(f"euctr '{tid}': HTTP 503")


def test_budget_is_within_euctrs_limit() -> None:
    adapter = Euctr(from_mapping({}, env={}).sources["euctr"])
    assert adapter.requests_per_minute == 300  # EUCTR allows 100 requests per 20 s


def test_a_lettered_list_inside_a_value_stays_in_it() -> None:
    text = DOWNLOAD.read_text(encoding="utf-8")
    marked = text.replace(
        "E.3 Principal inclusion criteria: 1. Male or female, 30 to 75 years of age, inclusive, "
        "at Screening;\n",
        "E.3 Principal inclusion criteria: 1. Male or female, 30 to 75 years of age, inclusive, "
        "at Screening;\nA. Patients aged 30 or more\nB. Protocol Information given\n",
        1,
    )
    records = {r["trial_id"]: r for r in _adapter().parse_file(marked.encode(), "d.txt")}
    criteria = records["EUCTR2022-002568-62-ES"]["inclusion_criteria"].split("\n")
    assert criteria[1:3] == ["A. Patients aged 30 or more", "B. Protocol Information given"]
    assert criteria[-1].startswith("6. The subject and/or legally authorized representative")
