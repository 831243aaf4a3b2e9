from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import settings_for
from tests.golden import check_golden
from tests.registry_server import FULL_STUDY, load_study, study_as
from watcher.core.hashing import content_hash
from watcher.core.lenient import take_warnings
from watcher.core.model import Expanded, Fetched
from watcher.errors import FetchError, InputError, NormalizeError, RecordNotFound, WatcherError
from watcher.sources.ctgov import CtGov
from watcher.sources.ctgov_study import normalize_study, split_criteria
from watcher.sources.http import Fetcher

DATA = Path(__file__).parent / "data" / "ctgov"
PAYLOADS = sorted(
    p
    for p in DATA.glob("*.json")
    if not p.name.endswith(".expected.json") and "receipts" not in p.name
)


def _adapter(**source: Any) -> CtGov:
    settings = settings_for("http://registry.test")
    base = settings.sources["ctgov"]
    return CtGov(dataclasses.replace(base, **source))


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.name)
def test_every_real_payload_parses_to_its_golden_records(path: Path, update_golden: bool) -> None:
    records = _adapter().parse_file(path.read_bytes(), path.name)
    check_golden(path.with_name(path.stem + ".expected.json"), records, update_golden)
    assert all("" not in record.values() for record in records)


def test_the_capture_receipts_file_is_not_a_payload_and_says_so() -> None:
    path = DATA / "biomcp_capture-receipts_ctgov_excerpt.json"
    with pytest.raises(
        InputError,
        match=r"biomcp_capture-receipts_ctgov_excerpt\.json: not a "
        r"ClinicalTrials\.gov API v2 payload",
    ):
        _adapter().parse_file(path.read_bytes(), path.name)


def test_non_json_is_refused_naming_the_file() -> None:
    with pytest.raises(
        InputError,
        match=r"page\.html: not a ClinicalTrials\.gov API v2 payload "
        r"\(not JSON\)",
    ):
        _adapter().parse_file(b"<html>maintenance</html>", "page.html")


# -- NCT04267848, field by field against its raw JSON ---------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return load_study()


@pytest.fixture(scope="module")
def record(raw: dict[str, Any]) -> dict[str, Any]:
    return normalize_study(raw, "NCT04267848")


def _ps(raw: dict[str, Any], module: str) -> Any:
    return raw["protocolSection"][module]


def test_identity(record: dict[str, Any], raw: dict[str, Any]) -> None:
    assert record["trial_id"] == "NCT04267848" == _ps(raw, "identificationModule")["nctId"]
    assert (record["registry"], record["source"]) == ("ctgov", "ctgov")
    assert record["url"] == "https://clinicaltrials.gov/study/NCT04267848"


def test_titles_and_sponsor(record: dict[str, Any], raw: dict[str, Any]) -> None:
    ident = _ps(raw, "identificationModule")
    assert record["public_title"] == ident["briefTitle"]
    assert record["scientific_title"] == ident["officialTitle"]
    assert record["acronym"] is None and "acronym" not in ident
    assert record["primary_sponsor"] == "National Cancer Institute (NCI)"
    assert record["secondary_sponsors"] == []  # no collaborators in this record
    assert record["funding_sources"] == ["National Cancer Institute (NCI)"]


def test_secondary_ids_are_unique_in_source_order(
    record: dict[str, Any], raw: dict[str, Any]
) -> None:
    ident = _ps(raw, "identificationModule")
    assert [s["id"] for s in ident["secondaryIdInfos"]] == [
        "NCI-2020-00751",
        "A081801",
        "A081801",
        "U10CA180821",
    ]
    assert record["secondary_ids"] == ["NCI-2020-00751", "A081801", "U10CA180821"]


def test_dates(record: dict[str, Any], raw: dict[str, Any]) -> None:
    status = _ps(raw, "statusModule")
    assert record["last_updated"] == status["lastUpdatePostDateStruct"]["date"] == "2025-09-10"
    assert record["registration_date"] == status["studyFirstSubmitDate"] == "2020-02-12"
    assert record["first_enrolment_date"] == status["startDateStruct"]["date"] == "2020-06-16"
    assert record["prospective_registration"] is True  # registered 2020-02-12, started 2020-06-16
    assert record["primary_completion_date"] == "2025-12-15"
    assert record["completion_date"] == "2025-12-15"
    assert record["last_refreshed"] is None  # an ICTRP field


def test_status_and_size(record: dict[str, Any], raw: dict[str, Any]) -> None:
    assert record["recruitment_status"] == _ps(raw, "statusModule")["overallStatus"] == "RECRUITING"
    assert record["status"] == "recruiting"
    assert _ps(raw, "designModule")["enrollmentInfo"] == {"count": 1210, "type": "ESTIMATED"}
    assert record["target_sample_size"] == 1210
    assert record["target_sample_size_type"] == "anticipated"
    assert record["target_sample_size_text"] is None


def test_design(record: dict[str, Any]) -> None:
    assert record["study_type"] == "INTERVENTIONAL"
    assert record["phase"] == "PHASE3"
    assert record["study_design"] == (
        "Allocation: RANDOMIZED; Intervention model: PARALLEL; "
        "Primary purpose: TREATMENT; Masking: NONE"
    )


def test_countries_are_the_unique_sorted_site_countries(
    record: dict[str, Any], raw: dict[str, Any]
) -> None:
    locations = _ps(raw, "contactsLocationsModule")["locations"]
    assert len(locations) == 1148
    assert (
        record["countries"]
        == sorted({loc["country"] for loc in locations})
        == ["Guam", "United States"]
    )
    assert len(record["sites"]) == 1148


def test_conditions_and_interventions(record: dict[str, Any], raw: dict[str, Any]) -> None:
    assert record["conditions"] == _ps(raw, "conditionsModule")["conditions"]
    interventions = _ps(raw, "armsInterventionsModule")["interventions"]
    assert len(record["interventions"]) == len(interventions)
    assert record["interventions"][:2] == ["Procedure: Biospecimen Collection", "Drug: Carboplatin"]


def test_outcomes_one_item_each_in_source_order(
    record: dict[str, Any], raw: dict[str, Any]
) -> None:
    outcomes = _ps(raw, "outcomesModule")
    assert len(record["primary_outcomes"]) == len(outcomes["primaryOutcomes"]) == 1
    assert len(record["secondary_outcomes"]) == len(outcomes["secondaryOutcomes"])
    first = record["primary_outcomes"][0].split("\n")
    assert first[0] == "Disease free survival (DFS)"
    assert first[1] == "Time frame: " + outcomes["primaryOutcomes"][0]["timeFrame"]
    assert [o.split("\n")[0] for o in record["secondary_outcomes"]] == [
        o["measure"] for o in outcomes["secondaryOutcomes"]
    ]


def test_eligibility(record: dict[str, Any], raw: dict[str, Any]) -> None:
    criteria = _ps(raw, "eligibilityModule")["eligibilityCriteria"]
    assert criteria.startswith("Inclusion Criteria:\n\n* A female")
    assert "Exclusion Criteria" not in criteria
    assert record["inclusion_criteria"].startswith("* A female of childbearing potential")
    assert "\n  * Has not undergone a hysterectomy" in record["inclusion_criteria"]
    assert "* Age >= 18 years" in record["inclusion_criteria"]  # markdown escape "\>=" dropped
    assert record["exclusion_criteria"] is None
    assert (record["age_min"], record["age_max"], record["gender"]) == ("18 Years", None, "ALL")


def test_contacts_and_results(record: dict[str, Any]) -> None:
    assert record["contacts"] == [
        {
            "name": "Jacob M Sands",
            "affiliation": "Alliance for Clinical Trials in Oncology",
            "email": None,
            "phone": None,
            "address": None,
            "role": "Principal Investigator",
        }
    ]
    assert record["ethics_review"] is None
    assert record["results"] == {
        "available": False,
        "date_posted": None,
        "url": None,
        "date_submitted": None,
        "events": [],
    }


def test_split_criteria_with_both_headings() -> None:
    text = "Inclusion Criteria:\n\n* adults\n\nExclusion Criteria:\n\n* pregnancy\n"
    assert split_criteria(text) == ("* adults", "* pregnancy")


def test_derived_bookkeeping_never_changes_the_record(raw: dict[str, Any]) -> None:
    refreshed = copy.deepcopy(raw)
    refreshed["derivedSection"]["miscInfoModule"]["versionHolder"] = "2025-09-12"
    refreshed["derivedSection"]["conditionBrowseModule"] = {"meshes": []}
    assert content_hash(normalize_study(refreshed)) == content_hash(normalize_study(raw))


def test_reordered_sites_are_no_change(raw: dict[str, Any]) -> None:
    shuffled = copy.deepcopy(raw)
    shuffled["protocolSection"]["contactsLocationsModule"]["locations"].reverse()
    assert content_hash(normalize_study(shuffled)) == content_hash(normalize_study(raw))


def test_a_bad_date_is_kept_as_text_with_a_warning_naming_the_trial(raw: dict[str, Any]) -> None:
    """Parsers bend (README "What watcher promises"): the record keeps the text, and every
    other field is read."""
    broken = copy.deepcopy(raw)
    broken["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "soon"
    record = normalize_study(broken)
    assert [str(w) for w in take_warnings(record)] == [
        "NCT04267848: first_enrolment_date: not a date: 'soon': kept as written"
    ]
    assert record["first_enrolment_date"] == "soon"
    assert {k: v for k, v in record.items() if k != "first_enrolment_date"} == {
        k: v for k, v in normalize_study(raw).items() if k != "first_enrolment_date"
    }


# -- fetching, through httpx.MockTransport --------------------------------------------------


class FakeApi:
    def __init__(self, studies: dict[str, dict[str, Any]], page_limit: int = 1000) -> None:
        self.studies = studies
        self.page_limit = page_limit
        self.requests: list[httpx.Request] = []
        self.aliases: dict[str, str] = {}
        self.broken: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/api/v2/studies":
            ids = request.url.params["filter.ids"].split(",")
            if self.broken & set(ids):
                return httpx.Response(500, text="Internal Server Error")
            found = [self.studies[i] for i in ids if i in self.studies]
            size = min(int(request.url.params["pageSize"]), self.page_limit)
            start = int(request.url.params.get("pageToken", "0"))
            page: dict[str, Any] = {"studies": found[start : start + size]}
            if start + size < len(found):
                page["nextPageToken"] = str(start + size)
            return httpx.Response(200, json=page)
        nct = path.rsplit("/", 1)[1]
        if nct in self.aliases:
            return httpx.Response(301, headers={"Location": f"/api/v2/studies/{self.aliases[nct]}"})
        if nct in self.broken:
            return httpx.Response(500, text="Internal Server Error")
        if nct in self.studies:
            return httpx.Response(200, json=self.studies[nct])
        return httpx.Response(404, json={"message": "not found"})


def _fetch(
    api: FakeApi, ids: list[str], **source: Any
) -> tuple[dict[str, Fetched | Expanded | WatcherError], CtGov]:
    adapter = _adapter(**source)
    settings = settings_for("http://registry.test", retries=0)
    client = httpx.Client(
        transport=httpx.MockTransport(api), base_url="http://registry.test", follow_redirects=True
    )
    sleep: Callable[[float], None] = lambda _s: None  # noqa: E731
    fetcher = Fetcher(client, "ctgov", settings.http, sleep=sleep)
    with client:
        return dict(adapter.fetch(fetcher, ids)), adapter


def _many(n: int) -> dict[str, dict[str, Any]]:
    small = orjson.loads((DATA / "biomcp_get_nct02576665_20260811.json").read_bytes())
    return {f"NCT{i:08d}": study_as(small, f"NCT{i:08d}") for i in range(1, n + 1)}


def test_n_trials_cost_about_n_over_page_size_requests() -> None:
    api = FakeApi(_many(2500))
    results, _ = _fetch(api, list(api.studies))
    assert all(isinstance(r, Fetched) for r in results.values())
    assert len(results) == 2500
    assert [r.url.params["pageSize"] for r in api.requests] == ["1000", "1000", "500"]
    params = api.requests[1].url.params
    assert params["fields"] == "protocolSection,hasResults"
    assert len(params["filter.ids"].split(",")) == 1000


class Chunks(httpx.SyncByteStream):
    """A body served 64 KB at a time, counting what the client has pulled; ``cut_after``:
    bytes after which the connection drops (an httpx.ReadError, as from a real socket)."""

    def __init__(self, data: bytes, cut_after: int | None = None) -> None:
        self.data = data
        self.cut_after = cut_after
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), 65536):
            if self.cut_after is not None and start >= self.cut_after:
                raise httpx.ReadError("Connection reset by peer")
            self.pulled = start + 65536
            yield self.data[start : start + 65536]


def test_a_page_is_read_study_by_study_as_it_streams_in() -> None:
    full = orjson.loads((DATA / "ctgov_v2_study_NCT04267848_full_raw.json").read_bytes())
    studies = [study_as(full, f"NCT{i:08d}") for i in range(1, 71)]
    body = Chunks(orjson.dumps({"studies": studies}))  # 70 of the largest records: ~25 MB
    pulled_at_first: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=body, headers={"Content-Type": "application/json"})

    adapter = _adapter()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, "ctgov", settings_for("http://registry.test", retries=0).http)
    results = {}
    for trial_id, result in adapter.fetch(
        fetcher, [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]
    ):
        pulled_at_first.append(body.pulled)
        results[trial_id] = result
    assert len(results) == 70 and all(isinstance(r, Fetched) for r in results.values())
    # The first study is handed on after its own ~370 KB were read, not the whole page.
    assert len(body.data) > 20 * 2**20
    assert pulled_at_first[0] < 2**20
    assert orjson.loads(results["NCT00000001"].payload) == studies[0]  # type: ignore[union-attr]


def test_an_answer_cut_short_is_asked_again_for_the_studies_not_read() -> None:
    studies = _many(300)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        ids = request.url.params["filter.ids"].split(",")
        data = orjson.dumps({"studies": [studies[i] for i in ids]})
        cut = len(data) // 2 if len(requests) == 1 else None  # the first answer drops midway
        return httpx.Response(
            200, stream=Chunks(data, cut), headers={"Content-Type": "application/json"}
        )

    adapter = _adapter()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, "ctgov", settings_for("http://registry.test", retries=0).http)
    results = dict(adapter.fetch(fetcher, list(studies)))
    assert all(isinstance(r, Fetched) for r in results.values()) and len(results) == 300
    assert len(requests) == 2
    first, second = (r.url.params["filter.ids"].split(",") for r in requests)
    assert len(first) == 300
    # Only the studies the first answer did not bring whole are asked again.
    assert 0 < len(second) < 300 and second == first[-len(second) :]


def test_an_answer_cut_short_every_time_fails_its_studies_after_the_retries() -> None:
    studies = _many(50)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        data = orjson.dumps({"studies": list(studies.values())})
        return httpx.Response(
            200, stream=Chunks(data, 0), headers={"Content-Type": "application/json"}
        )

    adapter = _adapter()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(
        client, "ctgov", settings_for("http://registry.test", retries=2).http, sleep=lambda _s: None
    )
    results = dict(adapter.fetch(fetcher, list(studies)))
    assert len(requests) == 3  # the first try and two retries, not one per study
    assert all(isinstance(r, FetchError) for r in results.values())
    assert "the answer from http://registry.test/api/v2/studies" in str(results["NCT00000001"])
    assert "stopped after 0 bytes (Connection reset by peer)" in str(results["NCT00000001"])


def test_a_page_token_before_the_studies_is_followed_too() -> None:
    studies = list(_many(5).values())
    pages = {
        None: orjson.dumps({"nextPageToken": "p2", "totalCount": 5, "studies": studies[:3]}),
        "p2": orjson.dumps({"totalCount": 5, "studies": studies[3:]}),
    }
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken")
        seen.append(token)
        return httpx.Response(
            200, content=pages[token], headers={"Content-Type": "application/json"}
        )

    adapter = _adapter()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, "ctgov", settings_for("http://registry.test", retries=0).http)
    results = dict(adapter.fetch(fetcher, list(_many(5))))
    assert seen == [None, "p2"]
    assert len(results) == 5 and all(isinstance(r, Fetched) for r in results.values())


def test_an_answer_without_a_studies_list_is_a_fetch_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"message": "rate limited, try later"})

    adapter = _adapter()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, "ctgov", settings_for("http://registry.test", retries=0).http)
    with pytest.raises(FetchError, match="ctgov: no 'studies' list in the answer from http"):
        list(adapter._query(fetcher, ["NCT00000001", "NCT00000002"]))


def test_next_page_token_is_followed() -> None:
    api = FakeApi(_many(5), page_limit=2)
    results, _ = _fetch(api, list(api.studies))
    assert sorted(results) == sorted(api.studies)
    tokens = [r.url.params.get("pageToken") for r in api.requests]
    assert tokens == [None, "2", "4"]


def test_an_alias_id_is_followed_through_its_301_and_recorded() -> None:
    api = FakeApi(_many(2))
    api.aliases["NCT09999999"] = "NCT00000002"
    results, adapter = _fetch(api, ["NCT00000001", "NCT09999999"])
    alias = results["NCT09999999"]
    assert isinstance(alias, Fetched)
    assert alias.redirected_to == "NCT00000002"
    assert adapter.normalize(alias)["trial_id"] == "NCT09999999"
    assert isinstance(results["NCT00000001"], Fetched)
    assert results["NCT00000001"].redirected_to is None


def test_a_record_the_register_does_not_have_is_record_not_found() -> None:
    api = FakeApi(_many(2))
    results, _ = _fetch(api, ["NCT00000001", "NCT00000404"])
    missing = results["NCT00000404"]
    assert isinstance(missing, RecordNotFound)
    assert "ctgov 'NCT00000404': the register has no such record (HTTP 404" in str(missing)


def test_one_broken_record_does_not_fail_its_batch() -> None:
    api = FakeApi(_many(8))
    api.broken.add("NCT00000005")
    results, _ = _fetch(api, list(api.studies))
    assert isinstance(results["NCT00000005"], FetchError)
    assert "HTTP 500" in str(results["NCT00000005"])
    assert all(isinstance(results[t], Fetched) for t in api.studies if t != "NCT00000005")


def test_an_unreachable_register_fails_every_trial_without_splitting() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("Connection refused", request=request)

    adapter = _adapter()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, "ctgov", settings_for("http://registry.test", retries=0).http)
    results = dict(adapter.fetch(fetcher, list(_many(4))))
    assert len(results) == 4
    assert len(calls) == 1  # halving the batch would only hammer a register that is down
    assert all(
        "cannot reach http://registry.test (Connection refused)" in str(r) for r in results.values()
    )


def test_an_html_page_with_status_200_is_a_fetch_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text="<html>Service maintenance</html>", headers={"Content-Type": "text/html"}
        )

    adapter = _adapter()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, "ctgov", settings_for("http://registry.test", retries=0).http)
    [(_tid, result)] = list(adapter.fetch(fetcher, ["NCT04267848"]))
    assert isinstance(result, FetchError)
    assert "expected JSON from http://registry.test/api/v2/studies/NCT04267848" in str(result)
    assert "got text/html" in str(result)


def test_normalize_refuses_a_payload_that_is_not_a_study() -> None:
    fetched = Fetched("NCT04267848", "ctgov", b'{"studies": []}', "application/json", "u")
    with pytest.raises(NormalizeError, match="ctgov 'NCT04267848': payload is not a study"):
        _adapter().normalize(fetched)


def test_the_full_payload_is_kept_verbatim_when_fetched_alone() -> None:
    api = FakeApi({"NCT04267848": load_study()})
    results, _ = _fetch(api, ["NCT04267848"])
    fetched = results["NCT04267848"]
    assert isinstance(fetched, Fetched)
    assert orjson.loads(fetched.payload) == orjson.loads(FULL_STUDY.read_bytes())
