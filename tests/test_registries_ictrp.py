"""ICTRP, on its real formats: the trial page text, the XML export, the CSV download, the web
service's real envelope; fetching through the local register server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import settings_for
from tests.golden import check_golden
from tests.ictrp_service import answer as service_answer_with_record
from tests.registry_server import (
    SERVICE_PASSWORD,
    RegistryServer,
    RegistryState,
    page_as_html,
    service_answer,
)
from watcher.config import from_mapping
from watcher.core.model import Fetched
from watcher.errors import InputError, NormalizeError, RecordNotFound, WatcherError
from watcher.sources import ictrp_formats as formats
from watcher.sources.http import Fetcher, make_client
from watcher.sources.ictrp import Ictrp

DATA = Path(__file__).parent / "data"
PAGE = DATA / "ictrp" / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt"
EXPORT = DATA / "ictrp" / "ictrp-export-2024-06-09-part-a.xml"
CSV_0407 = DATA / "ictrp-versions" / "ictrp-covid19-csv" / "2020-04-07.csv"
CSV_0415 = DATA / "ictrp-versions" / "ictrp-covid19-csv" / "2020-04-15.csv"
XML_0318 = DATA / "ictrp-versions" / "ictrp-covid19-xml-2020-03-18.xml"
REAL_HTML = DATA / "ictrp" / "ictrp_trial_page_NCT04280705.html"
GOLDEN_INPUTS = [PAGE, REAL_HTML, EXPORT, CSV_0407, CSV_0415, XML_0318]


def test_the_real_html_page_reads_one_outcome_per_item_with_its_time_frame() -> None:
    """The first real Trial2.aspx page: 4 primary and 39 secondary outcomes (as many as the
    page's DataList12 and DataList14 rows), each with its time frame, repeated ones kept; the
    eligibility text split into inclusion and exclusion criteria."""
    (record,) = _parse(REAL_HTML)
    assert record["primary_outcomes"] == [
        f"{name}\n[Time Frame: Day 1 through Day 29]"
        for name in (
            "Time to Recovery by Ethnicity",
            "Time to Recovery",
            "Time to Recovery by Race",
            "Time to Recovery by Sex",
        )
    ]
    assert len(record["secondary_outcomes"]) == 39
    assert all("\n[Time Frame: " in o for o in record["secondary_outcomes"])
    assert record["inclusion_criteria"].startswith(
        "1. Admitted to a hospital with symptoms suggestive of COVID-19 infection."
    )
    assert record["inclusion_criteria"].endswith("SARS-CoV-2 through Day 29.")
    assert record["exclusion_criteria"].startswith("1. Alanine Transaminase (ALT)")
    assert record["exclusion_criteria"].endswith("5. Allergy to any study medication.")
    assert (record["age_min"], record["age_max"], record["gender"]) == (
        "18 Years",
        "99 Years",
        "All",
    )
    assert record["results"]["url"] == "https://clinicaltrials.gov/ct2/show/results/NCT04280705"
    assert record["results"]["date_posted"] == "2020-09-25"


def _adapter(**changes: Any) -> Ictrp:
    base = settings_for("http://registry.test").sources["ictrp"]
    return Ictrp(type(base)(**{**{f: getattr(base, f) for f in base.__slots__}, **changes}))


def _parse(path: Path) -> list[dict[str, Any]]:
    return _adapter().parse_file(path.read_bytes(), path.name)


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=lambda p: p.name)
def test_real_files_parse_to_their_golden_records(path: Path, update_golden: bool) -> None:
    records = _parse(path)
    check_golden(path.with_name(path.name + ".expected.json"), records, update_golden)


# -- the trial page as a browser shows it: every field the issue lists --------------------


@pytest.fixture(scope="module")
def page() -> dict[str, Any]:
    [record] = _parse(PAGE)
    return record


def test_page_identity(page: dict[str, Any]) -> None:
    assert page["trial_id"] == "EUCTR2017-001400-29-FR"
    assert page["registry"] == "euctr"
    assert page["source"] == "ictrp"


def test_page_last_refreshed(page: dict[str, Any]) -> None:
    assert page["last_refreshed"] == "2018-08-20"


def test_page_registration(page: dict[str, Any]) -> None:
    assert page["registration_date"] == "2018-07-31"
    assert page["prospective_registration"] is False


def test_page_sponsor_and_titles(page: dict[str, Any]) -> None:
    assert page["primary_sponsor"] == "ASSISTANCE PUBLIQUE - HOPITAUX DE PARIS (AP-HP)"
    assert page["public_title"] == (
        "Treatment of systemic lupus erythematosus by injection iv "
        "of mesenchymal stem cells (MSC-LES)"
    )
    assert page["scientific_title"] == (
        "Treatment of severe refractory systemic lupus erythematosus by injection of allogeneic "
        "mesenchymal stem cells derived from the umbilical cord - MSC SLE - MSC-LES"
    )


def test_page_first_enrolment(page: dict[str, Any]) -> None:
    assert page["first_enrolment_date"] == "2018-03-16"


def test_page_target_sample_size(page: dict[str, Any]) -> None:
    assert page["target_sample_size"] == 10
    assert page["target_sample_size_text"] is None


def test_page_recruitment_status(page: dict[str, Any]) -> None:
    assert page["recruitment_status"] == "Authorised-recruitment may be ongoing or finished"
    assert page["status"] == "authorised"


def test_page_countries(page: dict[str, Any]) -> None:
    assert page["countries"] == ["France"]


def test_page_contacts_once_each(page: dict[str, Any]) -> None:
    assert page["contacts"] == [
        {
            "name": "DRCI Hôpital St Louis",
            "affiliation": "ASSISTANCE PUBLIQUE - HOPITAUX DE PARIS (AP-HP)",
            "email": "karine.seymour@aphp.fr",
            "phone": None,
            "address": "1 av. Claude Vellefaux 75010 PARIS France",
            "role": None,
        }
    ]


def test_page_inclusion_criteria_as_given(page: dict[str, Any]) -> None:
    text = page["inclusion_criteria"]
    assert text.startswith(
        "Subjects:\n1- Pregnancy, breastfeeding or lack of appropriate "
        "contraception during study duration\n2- Presence of:\na) Renal"
    )
    assert "\n13- Patient under legal protection.\n" in text
    assert text.endswith("F.1.3.1 Number of subjects for this age range 2")


def test_page_exclusion_criteria_as_given(page: dict[str, Any]) -> None:
    text = page["exclusion_criteria"]
    assert text.startswith("Subjects:\n1- Pregnancy")
    assert "\n8- Comorbidities requiring corticosteroid therapy\n" in text
    assert text.endswith("14- Patient under legal protection.")


def test_page_age_and_gender(page: dict[str, Any]) -> None:
    assert (page["age_min"], page["age_max"]) == (None, None)  # the page gives none
    assert page["gender"] == "Female: yes\nMale: yes"


def test_page_conditions(page: dict[str, Any]) -> None:
    assert page["conditions"] == [
        "Treatment of Systemic Lupus Erythematosus refractory to standard treatments.",
        "MedDRA version: 20.0 Level: PT Classification code 10042945 Term: Systemic lupus "
        "erythematosus System Organ Class: 10028395 - Musculoskeletal and connective tissue "
        "disorders",
        "Therapeutic area: Diseases [C] - Immune System Diseases [C20]",
    ]


def test_page_interventions(page: dict[str, Any]) -> None:
    [product] = page["interventions"]
    lines = product.split("\n")
    assert lines[0] == (
        "Product Name: ALLOGENEIC MESENCHYMAL STROMAL CELLS DERIVED FROM THE UMBILICAL CORD"
    )
    assert lines[-1] == "Concentration number: 1.106-4.106"
    assert len(lines) == 10


def test_page_primary_outcomes(page: dict[str, Any]) -> None:
    outcomes = page["primary_outcomes"]
    assert [o.split(":", 1)[0] for o in outcomes] == [
        "Main Objective",
        "Timepoint(s) of evaluation of this end point",
        "Secondary Objective",
        "Primary end point(s)",
    ]
    assert outcomes[3] == (
        "Primary end point(s): Immediate tolerance assessed during the "
        "injection and the first 10 days after the injection of the "
        "allogeneic MSCs, according to the side effects defined by the "
        "CTCAE standards."
    )
    assert outcomes[2].count("\n") == 5  # its six numbered objectives stay one item


def test_page_secondary_outcomes(page: dict[str, Any]) -> None:
    outcomes = page["secondary_outcomes"]
    assert outcomes[0] == "Timepoint(s) of evaluation of this end point: No"
    assert outcomes[1].startswith("Secondary end point(s): 1-Feasibility of administering")
    assert outcomes[1].endswith("\n6-Evaluation of immunomodulatory action")


def test_page_secondary_ids_and_funding(page: dict[str, Any]) -> None:
    assert page["secondary_ids"] == ["P150302J"]
    assert page["funding_sources"] == [
        "Fondation du Rein (FdR) sous égide de la FRM, en partenariat avec l’AFM Téléthon et l’AIRG"
    ]
    assert page["secondary_sponsors"] == []


def test_page_results_and_ethics(page: dict[str, Any]) -> None:
    assert page["results"] == {
        "available": None,
        "date_posted": None,
        "url": None,
    }
    assert page["ethics_review"] is None


def test_page_url_and_design(page: dict[str, Any]) -> None:
    assert page["url"] == (
        "https://www.clinicaltrialsregister.eu/ctr-search/search?"
        "query=eudract_number:2017-001400-29"
    )
    assert page["study_type"] == "Interventional clinical trial of medicinal product"
    assert page["study_design"].split("\n")[:2] == ["Controlled: no", "Randomised: no"]
    assert page["phase"].startswith("Human pharmacology (Phase I): yes")


def test_the_page_as_html_reads_the_same_as_its_text(page: dict[str, Any]) -> None:
    html = page_as_html(PAGE.read_text(encoding="utf-8"))
    assert formats.detect(html) == "page-html"
    [from_html] = _adapter().parse_file(html, "page.html")
    assert from_html == page


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><div>No trial found for this ID.</div></body></html>",
        b"<html><body>Service Unavailable</body></html>",
    ],
)
def test_a_page_without_the_labels_every_record_has_is_refused(body: bytes) -> None:
    fetched = Fetched("DRKS00012345", "ictrp", body, "text/html", "u")
    with pytest.raises(NormalizeError) as err:
        _adapter().normalize(fetched)
    assert str(err.value) == (
        "ictrp 'DRKS00012345': not an ICTRP trial record: no 'Main ID:' "
        "and no 'Last refreshed on:' (a 'not found' or error page?)"
    )


# -- the XML export and its traps -------------------------------------------------------------


@pytest.fixture(scope="module")
def export() -> dict[str, dict[str, Any]]:
    return {r["trial_id"]: r for r in _parse(EXPORT)}


def test_every_trial_of_the_export_is_read(export: dict[str, dict[str, Any]]) -> None:
    assert len(export) == 48 == EXPORT.read_text().count("<Trial>")


def test_export_trailing_whitespace_and_mixed_date_formats(
    export: dict[str, dict[str, Any]],
) -> None:
    nct = export["NCT06360289"]
    # Last_Refreshed_on "20 May 2024", Date_registration "08/04/2024", Date_registration3
    # "20240408", Date_enrollement "April 25, 2024", all followed by "\n    " in the file.
    assert (nct["last_refreshed"], nct["registration_date"], nct["first_enrolment_date"]) == (
        "2024-05-20",
        "2024-04-08",
        "2024-04-25",
    )
    euctr = export["EUCTR2021-000037-14-PL"]
    assert euctr["first_enrolment_date"] == "2021-08-20"  # "20/08/2021": day first
    assert euctr["scientific_title"].endswith("with Light Chain (AL) Amyloidosis")  # padded


def test_export_escaped_br_becomes_line_breaks(export: dict[str, dict[str, Any]]) -> None:
    criteria = export["NCT06360289"]["inclusion_criteria"]
    assert criteria.startswith("Inclusion Criteria:\n\n- Carrier of a documented")
    assert "<br>" not in criteria and "&lt;" not in criteria


def test_export_status_spellings_share_one_status(export: dict[str, dict[str, Any]]) -> None:
    spellings = {r["recruitment_status"]: r["status"] for r in export.values()}
    assert spellings["Not recruiting"] == spellings["Not Recruiting"] == "unknown"
    assert spellings["Recruiting"] == "recruiting"
    assert spellings["Authorised"] == "authorised"


def test_export_lists_are_split(export: dict[str, dict[str, Any]]) -> None:
    euctr = export["EUCTR2021-000037-14-PL"]
    assert euctr["secondary_ids"] == ["NEOD001301", "NCT04973137", "146070", "2021-000037-14-DK"]
    assert len(euctr["countries"]) == 23 and euctr["countries"] == sorted(euctr["countries"])
    assert export["NCT06360289"]["conditions"] == [
        "Hereditary Amyloidosis, Transthyretin-Related",
        "Asymptomatic Carrier State",
    ]


def test_export_euctr_target_size_is_the_whole_trial_figure(
    export: dict[str, dict[str, Any]],
) -> None:
    sizes = {
        tid: r["target_sample_size"]
        for tid, r in export.items()
        if tid.startswith("EUCTR2021-000037-14-")
    }
    assert len(sizes) > 1 and set(sizes.values()) == {150}


def test_export_group_sizes_are_kept_as_text(export: dict[str, dict[str, Any]]) -> None:
    record = export["ChiCTR2100050713"]
    assert record["target_sample_size"] is None
    assert record["target_sample_size_text"] == "control group:50;sepsis group:50;"


def test_export_euctr_outcomes_are_split_at_their_labels(export: dict[str, dict[str, Any]]) -> None:
    outcomes = export["EUCTR2021-000037-14-PL"]["primary_outcomes"]
    assert [o.split(":", 1)[0] for o in outcomes] == [
        "Main Objective",
        "Secondary Objective",
        "Primary end point(s)",
        "Timepoint(s) of evaluation of this end point",
    ]


def test_export_flags_that_flip_by_themselves_are_not_in_the_record(
    export: dict[str, dict[str, Any]],
) -> None:
    for record in export.values():
        assert not {
            "other_records",
            "export_date",
            "internal_number",
            "bridging_flag_truefalse",
            "bridged_type",
        } & set(record)


# -- the CSV download -------------------------------------------------------------------------


def test_csv_fields_hold_cr_and_crlf_line_breaks() -> None:
    raw = CSV_0407.read_bytes()
    assert b"\r<br>" in raw and b"\r\n" in raw
    records = {r["trial_id"]: r for r in _parse(CSV_0407)}
    assert len(records) == 51
    criteria = records["NCT04246242"]["inclusion_criteria"]
    assert criteria.startswith("Inclusion Criteria:\n\nPatients diagnosed")
    assert "\r" not in criteria


def test_the_same_trial_reads_the_same_from_the_csv_and_the_xml_of_one_format() -> None:
    """WHO's XML and CSV carry the same columns: for a trial whose record did not change
    between 18 March and 7 April 2020, both give the same record."""
    xml = {r["trial_id"]: r for r in _parse(XML_0318)}
    csv = {r["trial_id"]: r for r in _parse(CSV_0407)}
    same = [t for t in xml if t in csv and xml[t]["last_refreshed"] == csv[t]["last_refreshed"]]
    assert same
    for tid in same:
        assert xml[tid] == csv[tid], tid


# -- the web service --------------------------------------------------------------------------


def test_the_empty_diffgram_is_not_found_never_a_record() -> None:
    empty = service_answer("")
    assert formats.detect(empty) == "web-service"
    assert formats.read_web_service(empty, "x") is None
    with pytest.raises(InputError, match="without a record"):
        _adapter().parse_file(empty, "empty.xml")


def test_a_web_service_record_reads_like_the_page(page: dict[str, Any]) -> None:
    [record] = _adapter().parse_file(service_answer_with_record(), "ws.xml")
    for key in (
        "trial_id",
        "registry",
        "last_refreshed",
        "registration_date",
        "primary_sponsor",
        "public_title",
        "scientific_title",
        "first_enrolment_date",
        "target_sample_size",
        "recruitment_status",
        "status",
        "countries",
        "gender",
        "secondary_ids",
        "funding_sources",
        "url",
    ):
        assert record[key] == page[key], key
    assert record["conditions"] == page["conditions"][:1]
    assert record["primary_outcomes"] == page["primary_outcomes"][3:]


def test_format_detection_and_refusal() -> None:
    assert formats.detect(EXPORT.read_bytes()) == "xml-export"
    assert formats.detect(CSV_0407.read_bytes()) == "csv"
    assert formats.detect(PAGE.read_bytes()) == "page-text"
    with pytest.raises(InputError, match=r"x\.json: not an ICTRP format"):
        _adapter().parse_file(b'{"studies": []}', "x.json")


# -- fetching ---------------------------------------------------------------------------------


@pytest.fixture
def ictrp_server() -> Any:
    state = RegistryState(
        ictrp_pages={"EUCTR2017-001400-29-FR": PAGE.read_bytes()},
        ictrp_service={"EUCTR2017-001400-29-FR": service_answer_with_record()},
    )
    with RegistryServer(state) as server:
        yield server


def _fetch(server: RegistryServer, ids: list[str], **source: Any) -> tuple[dict[str, Any], Ictrp]:
    adapter = _adapter(base_url=server.url, **source)
    settings = settings_for(server.url, retries=0)
    with make_client(settings.http) as client:
        fetcher = Fetcher(client, "ictrp", settings.http)
        return dict(adapter.fetch(fetcher, ids)), adapter


def test_fetching_the_page_gives_the_record_parse_gives(
    ictrp_server: RegistryServer, page: dict[str, Any]
) -> None:
    results, adapter = _fetch(ictrp_server, ["EUCTR2017-001400-29-FR"])
    fetched = results["EUCTR2017-001400-29-FR"]
    assert isinstance(fetched, Fetched)
    assert fetched.payload == PAGE.read_bytes()
    assert adapter.normalize(fetched) == page
    assert ictrp_server.state.log == ["/Trial2.aspx?TrialID=EUCTR2017-001400-29-FR"]


def test_an_unknown_id_gets_icrtps_own_page_and_fails_to_normalize(
    ictrp_server: RegistryServer,
) -> None:
    results, adapter = _fetch(ictrp_server, ["DRKS00012345"])
    fetched = results["DRKS00012345"]
    assert isinstance(fetched, Fetched)
    with pytest.raises(NormalizeError, match="no 'Main ID:'"):
        adapter.normalize(fetched)


def test_the_web_service_is_used_when_an_account_is_configured(
    ictrp_server: RegistryServer,
) -> None:
    service = f"{ictrp_server.url}/trialsearch/TrialService.asmx"
    results, adapter = _fetch(
        ictrp_server,
        ["EUCTR2017-001400-29-FR", "DRKS00012345"],
        username="office",
        password=SERVICE_PASSWORD,
        service_url=service,
    )
    record = adapter.normalize(results["EUCTR2017-001400-29-FR"])
    assert record["target_sample_size"] == 10
    missing = results["DRKS00012345"]
    assert isinstance(missing, RecordNotFound)
    assert "the ICTRP web service has no such record" in str(missing)


def test_the_web_service_password_never_shows_in_an_error(ictrp_server: RegistryServer) -> None:
    service = f"{ictrp_server.url}/trialsearch/TrialService.asmx"
    results, _ = _fetch(
        ictrp_server,
        ["EUCTR2017-001400-29-FR"],
        username="office",
        password="wrong-secret",
        service_url=service,
    )
    error = results["EUCTR2017-001400-29-FR"]
    assert isinstance(error, WatcherError)
    assert "HTTP 500" in str(error) and "password=***" in str(error)
    assert "wrong-secret" not in str(error)


def test_requests_carry_the_user_agent(ictrp_server: RegistryServer) -> None:
    _fetch(ictrp_server, ["EUCTR2017-001400-29-FR"])
    assert ictrp_server.user_agents[-1].startswith("watcher/")


def test_budget_is_low_by_default() -> None:
    assert Ictrp(from_mapping({}, env={}).sources["ictrp"]).requests_per_minute == 10


@pytest.mark.parametrize(
    "name",
    [
        "ictrp_ws_GetTrialDetails_response_header_schema.xml",
        "ictrp_ws_GetTrialDetails_response_footer.xml",
        "ictrp_ws_GetTrialDetails_empty_response_footer.xml",
    ],
)
def test_the_web_service_fragments_are_refused_with_a_clear_error(name: str) -> None:
    """registry-samples holds the service's header and footers, not whole answers: each is
    refused as input, naming the file, never a crash or a record."""
    with pytest.raises(InputError, match=rf"{name}: not"):
        _adapter().parse_file((DATA / "ictrp" / name).read_bytes(), name)
