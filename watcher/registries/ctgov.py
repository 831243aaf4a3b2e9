"""ClinicalTrials.gov, API v2: batch fetch by ``filter.ids`` and normalization of a study.

Only ``protocolSection`` and ``hasResults`` feed the record: ``derivedSection`` is recomputed
by NLM on every data refresh (``miscInfoModule.versionHolder`` changes daily) and would make a
version of every trial every day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import ijson
import orjson

from watcher.config import SourceSettings
from watcher.errors import AnswerCutShort, FetchError, InputError, NormalizeError, WatcherError
from watcher.http import Fetcher, content_type, redact
from watcher.memory import release_free_memory
from watcher.model import Fetched, Record, empty_record
from watcher.normalize import (
    clean_block,
    clean_line,
    finish_record,
    iso_date,
    unescape_markdown,
    unique,
)
from watcher.registries.base import FetchResult, for_trial

log = logging.getLogger(__name__)

PUBLIC_BASE = "https://clinicaltrials.gov"

STATUS_MAP = {
    "NOT_YET_RECRUITING": "not_yet_recruiting",
    "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling_by_invitation",
    "ACTIVE_NOT_RECRUITING": "active_not_recruiting",
    "SUSPENDED": "suspended",
    "TERMINATED": "terminated",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
    "UNKNOWN": "unknown",
}
SAMPLE_SIZE_TYPES = {"ESTIMATED": "anticipated", "ANTICIPATED": "anticipated", "ACTUAL": "actual"}

_EXCLUSION_HEADER = re.compile(r"^\s*exclusion\s+criteria\s*:?\s*$", re.IGNORECASE | re.MULTILINE)
_INCLUSION_HEADER = re.compile(r"\A\s*inclusion\s+criteria\s*:?\s*\n", re.IGNORECASE)


# A page's own keys, found in the edges of its body. Only a key can be an unescaped quoted
# string followed by a colon, and studies have no key of these names.
_PAGE_TOKEN = re.compile(rb'[{,]\s*"nextPageToken"\s*:\s*"([^"\\]+)"')
_STUDIES_KEY = re.compile(rb'[{,]\s*"studies"\s*:\s*\[')


class CtGov:
    """ClinicalTrials.gov API v2."""

    name = "ctgov"

    def __init__(self, settings: SourceSettings) -> None:
        self.base_url = settings.base_url
        self.requests_per_minute = settings.requests_per_minute or 50
        self.page_size = min(settings.page_size or 1000, 1000)
        self.fields = settings.fields or ""

    def serves(self, registry: str) -> bool:
        return registry == "ctgov"

    def record_url(self, trial_id: str) -> str:
        return f"{PUBLIC_BASE}/study/{trial_id}"

    # -- fetching --------------------------------------------------------------------------

    def _params(self, **extra: str) -> dict[str, str]:
        params = dict(extra)
        if self.fields:
            params["fields"] = self.fields
        return params

    def fetch(self, fetcher: Fetcher, trial_ids: Sequence[str]) -> Iterator[FetchResult]:
        for start in range(0, len(trial_ids), self.page_size):
            yield from self._fetch_batch(fetcher, list(trial_ids[start : start + self.page_size]))

    def _fetch_batch(
        self, fetcher: Fetcher, ids: list[str], *, splitting: bool = False
    ) -> Iterator[FetchResult]:
        if len(ids) == 1:
            yield ids[0], self._fetch_one(fetcher, ids[0])
            return
        answered: set[str] = set()
        try:
            # While halving a failed batch, the halves are the retries: no backoff on each.
            for trial_id, payload in self._query(fetcher, ids, retries=0 if splitting else None):
                answered.add(trial_id)
                yield (
                    trial_id,
                    Fetched(
                        trial_id, self.name, payload, "application/json", self.record_url(trial_id)
                    ),
                )
        except FetchError as e:
            rest = [i for i in ids if i not in answered]
            if not self._worth_splitting(e) or len(rest) < 2:
                for trial_id in rest:
                    yield trial_id, for_trial(e, trial_id)
                return
            # One bad record can fail a whole page (a 500, a truncated body): halve the batch
            # until the failing record is alone, so that the others are stored as usual.
            half = len(rest) // 2
            yield from self._fetch_batch(fetcher, rest[:half], splitting=True)
            yield from self._fetch_batch(fetcher, rest[half:], splitting=True)
            return
        for trial_id in ids:
            if trial_id not in answered:
                # Not in the batch answer: an alias (answered by a 301 on the single-study
                # endpoint) or a record the register does not have.
                yield trial_id, self._fetch_one(fetcher, trial_id)

    @staticmethod
    def _worth_splitting(error: FetchError) -> bool:
        """A 500 or an unreadable page can come from one record; an unreachable or
        overloaded register (429, 503) would only be hammered by the halves."""
        return not (error.unreachable or error.status in (429, 503))

    def _query(
        self, fetcher: Fetcher, ids: list[str], retries: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """Each wanted study of the answer as (NCT ID, its JSON). An answer cut short is asked
        again for the studies not read yet: at once while each try reads some, and with the
        fetcher's retries and backoff when a try reads none."""
        wanted = dict.fromkeys(ids)
        tries = fetcher.settings.retries if retries is None else retries
        delay = fetcher.settings.backoff.total_seconds()
        while True:
            before = len(wanted)
            try:
                yield from self._pages(fetcher, wanted, retries)
                return
            except AnswerCutShort as e:
                if len(wanted) == before:
                    if tries == 0:
                        raise
                    tries -= 1
                    fetcher.sleep(delay)
                    delay *= 2
                log.info(
                    "%s: %s; asking again for the %d studies not read",
                    self.name,
                    e.why,
                    len(wanted),
                )

    def _pages(
        self, fetcher: Fetcher, wanted: dict[str, None], retries: int | None
    ) -> Iterator[tuple[str, bytes]]:
        """The studies of one query, page after page, parsed as the answer streams in: memory
        holds one study at a time, whatever the size of the page (1,000 of the largest records
        are a 370 MB answer). A study handed on leaves ``wanted``."""
        url = f"{self.base_url}/api/v2/studies"
        params = self._params(**{"filter.ids": ",".join(wanted), "pageSize": str(len(wanted))})
        for _ in range(len(wanted) + 1):  # a server that repeats its page token cannot loop us
            with fetcher.stream(url, params=params, retries=retries) as body:
                read = 0
                try:
                    for study in ijson.items(body, "studies.item", use_float=True):
                        read += 1
                        nct = _nct_id(study)
                        if nct in wanted:
                            del wanted[nct]  # a register answering twice for one ID: the first
                            yield nct, orjson.dumps(study)
                except ijson.JSONError:
                    raise _not_json(body.url, body.content_type, self.name, None) from None
                edges = body.edges
            release_free_memory()
            # The page's own keys sit before or after its studies, in the edges of the body.
            if not read and not _STUDIES_KEY.search(edges):
                raise FetchError(self.name, None, f"no 'studies' list in the answer from {url}")
            token = _PAGE_TOKEN.search(edges)
            if token is None:
                return
            params = {**params, "pageToken": token.group(1).decode()}
        raise FetchError(self.name, None, f"{url} kept answering with a next page")

    def _fetch_one(self, fetcher: Fetcher, trial_id: str) -> Fetched | WatcherError:
        url = f"{self.base_url}/api/v2/studies/{trial_id}"
        try:
            response = fetcher.get(url, trial_id=trial_id, params=self._params())
            study = _json(response, self.name, trial_id)
            nct = _nct_id(study)
        except WatcherError as e:
            return e
        if nct is None:
            return NormalizeError(
                self.name, trial_id, f"no protocolSection.identificationModule.nctId in {url}"
            )
        redirected = nct if (response.history and nct != trial_id) else None
        return Fetched(
            trial_id,
            self.name,
            response.content,
            "application/json",
            self.record_url(trial_id),
            redirected_to=redirected,
        )

    # -- normalizing -----------------------------------------------------------------------

    def normalize(self, fetched: Fetched) -> Record:
        try:
            study = orjson.loads(fetched.payload)
        except orjson.JSONDecodeError as e:
            raise NormalizeError(
                self.name, fetched.trial_id, f"payload is not JSON ({e})"
            ) from None
        if not isinstance(study, dict) or _nct_id(study) is None:
            raise NormalizeError(self.name, fetched.trial_id, "payload is not a study record")
        return normalize_study(study, fetched.trial_id)

    def parse_file(self, data: bytes, name: str) -> list[Record]:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise InputError(name, "not a ClinicalTrials.gov API v2 payload (not JSON)") from None
        if isinstance(doc, dict) and isinstance(doc.get("studies"), list):
            studies = doc["studies"]
        elif isinstance(doc, list):
            studies = doc
        else:
            studies = [doc]
        if not studies or not all(isinstance(s, dict) and _nct_id(s) for s in studies):
            raise InputError(
                name,
                "not a ClinicalTrials.gov API v2 payload "
                "(expected a study or a search answer with protocolSection.identificationModule)",
            )
        return [normalize_study(s, _nct_id(s)) for s in studies]


def _json(response: httpx.Response, source: str, trial_id: str | None) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise _not_json(redact(response.url), content_type(response), source, trial_id) from None


def _not_json(url: str, content_type: str, source: str, trial_id: str | None) -> FetchError:
    return FetchError(
        source, trial_id, f"expected JSON from {url}, got {content_type} that does not parse"
    )


def _nct_id(study: Any) -> str | None:
    try:
        value = study["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) and value else None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    return clean_line(unescape_markdown(value)) if isinstance(value, str) else None


def _words(enum: str | None) -> str | None:
    """``DIETARY_SUPPLEMENT`` as ``Dietary Supplement``."""
    return enum.replace("_", " ").title() if enum else None


def _camel_words(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", key).lower().capitalize()


def split_criteria(text: str | None) -> tuple[str | None, str | None]:
    """CT.gov's one eligibility text as (inclusion, exclusion), split at its headings."""
    if not text:
        return None, None
    text = unescape_markdown(text.replace("\r\n", "\n")) or ""
    parts = _EXCLUSION_HEADER.split(text, maxsplit=1)
    inclusion = _INCLUSION_HEADER.sub("", parts[0], count=1)
    exclusion = parts[1] if len(parts) > 1 else None
    return clean_block(inclusion), clean_block(exclusion)


def _design(design: Any) -> str | None:
    info = _get(design, "designInfo")
    if not isinstance(info, dict):
        return None
    parts = []
    for key, value in info.items():
        if key == "maskingInfo" and isinstance(value, dict):
            value = value.get("masking")
            key = "masking"
        if isinstance(value, str):
            parts.append(f"{_camel_words(key)}: {value}")
    return "; ".join(parts) or None


def _outcome(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    lines = [
        _text(item.get("measure")),
        f"Time frame: {t}" if (t := _text(item.get("timeFrame"))) else None,
        f"Description: {d}" if (d := _text(item.get("description"))) else None,
    ]
    text = "\n".join(line for line in lines if line)
    return text or None


def _contacts(contacts_module: Any) -> list[dict[str, Any]]:
    out = []
    for person in (_get(contacts_module, "centralContacts") or []) + (
        _get(contacts_module, "overallOfficials") or []
    ):
        if not isinstance(person, dict):
            continue
        phone = _text(person.get("phone"))
        if phone and person.get("phoneExt"):
            phone = f"{phone} ext. {person['phoneExt']}"
        out.append(
            {
                "name": _text(person.get("name")),
                "affiliation": _text(person.get("affiliation")),
                "email": _text(person.get("email")),
                "phone": phone,
                "address": None,
                "role": _words(person.get("role")),
            }
        )
    return out


def _sites(contacts_module: Any) -> list[dict[str, Any]]:
    sites = [
        {
            "facility": _text(loc.get("facility")),
            "city": _text(loc.get("city")),
            "state": _text(loc.get("state")),
            "country": _text(loc.get("country")),
            "status": _text(loc.get("status")),
        }
        for loc in (_get(contacts_module, "locations") or [])
        if isinstance(loc, dict)
    ]
    # Sites are a set: the API's order carries no meaning and must not make a version.
    return sorted(sites, key=lambda s: tuple(str(s[k] or "") for k in s))


def _prospective(registered: str | None, started: str | None) -> bool | None:
    """Registered no later than the first enrolment; unknown when month precision cannot tell."""
    if not registered or not started:
        return None
    if len(registered) == len(started) == 10:
        return registered <= started
    r, s = registered[:7], started[:7]
    return None if r == s else r < s


def normalize_study(study: dict[str, Any], trial_id: str | None = None) -> Record:
    """The normalized record (contract §3) of one API v2 study object."""
    ps = study.get("protocolSection") or {}
    ident = ps.get("identificationModule") or {}
    status = ps.get("statusModule") or {}
    sponsors = ps.get("sponsorCollaboratorsModule") or {}
    design = ps.get("designModule") or {}
    eligibility = ps.get("eligibilityModule") or {}
    outcomes = ps.get("outcomesModule") or {}
    contacts = ps.get("contactsLocationsModule") or {}
    nct = _nct_id(study) or ""
    tid = trial_id or nct
    try:
        return _normalize(
            study, tid, ps, ident, status, sponsors, design, eligibility, outcomes, contacts
        )
    except ValueError as e:
        raise NormalizeError("ctgov", tid, str(e)) from None


def _normalize(
    study: dict[str, Any],
    tid: str,
    ps: dict[str, Any],
    ident: dict[str, Any],
    status: dict[str, Any],
    sponsors: dict[str, Any],
    design: dict[str, Any],
    eligibility: dict[str, Any],
    outcomes: dict[str, Any],
    contacts: dict[str, Any],
) -> Record:
    record = empty_record(tid, "ctgov", "ctgov")
    overall = _text(status.get("overallStatus"))
    registered = iso_date(status.get("studyFirstSubmitDate")) or iso_date(
        _get(status, "studyFirstPostDateStruct", "date")
    )
    started = iso_date(_get(status, "startDateStruct", "date"))
    completion = iso_date(_get(status, "completionDateStruct", "date"))
    enrollment = _get(design, "enrollmentInfo") or {}
    count = enrollment.get("count")
    collaborators = [
        c.get("name") for c in sponsors.get("collaborators") or [] if isinstance(c, dict)
    ]
    lead = _text(_get(sponsors, "leadSponsor", "name"))
    inclusion, exclusion = split_criteria(eligibility.get("eligibilityCriteria"))
    has_results = study.get("hasResults")
    phases = design.get("phases") or []
    record.update(
        url=f"{PUBLIC_BASE}/study/{tid}",
        last_updated=iso_date(_get(status, "lastUpdatePostDateStruct", "date")),
        registration_date=registered,
        prospective_registration=_prospective(registered, started),
        primary_sponsor=lead,
        secondary_sponsors=unique(collaborators),
        # ICTRP lists a CT.gov trial's sponsor and collaborators as its sources of support.
        funding_sources=unique([lead, *collaborators]),
        public_title=_text(ident.get("briefTitle")),
        scientific_title=_text(ident.get("officialTitle")),
        acronym=_text(ident.get("acronym")),
        secondary_ids=unique(
            [_get(ident, "orgStudyIdInfo", "id")]
            + [s.get("id") for s in ident.get("secondaryIdInfos") or [] if isinstance(s, dict)]
        ),
        recruitment_status=overall,
        status=STATUS_MAP.get(overall or "", "unknown") if overall else None,
        first_enrolment_date=started,
        target_sample_size=count
        if isinstance(count, int) and not isinstance(count, bool)
        else None,
        target_sample_size_type=SAMPLE_SIZE_TYPES.get(str(enrollment.get("type") or "").upper()),
        study_type=_text(design.get("studyType")),
        study_design=_design(design),
        phase="/".join(p for p in phases if isinstance(p, str)) or None,
        countries=[
            loc.get("country") for loc in contacts.get("locations") or [] if isinstance(loc, dict)
        ],
        conditions=unique(_text(c) for c in _get(ps, "conditionsModule", "conditions") or []),
        interventions=unique(
            (f"{_words(i.get('type'))}: {i.get('name')}" if i.get("type") else i.get("name"))
            for i in _get(ps, "armsInterventionsModule", "interventions") or []
            if isinstance(i, dict)
        ),
        inclusion_criteria=inclusion,
        exclusion_criteria=exclusion,
        age_min=_text(eligibility.get("minimumAge")),
        age_max=_text(eligibility.get("maximumAge")),
        gender=_text(eligibility.get("sex")),
        primary_outcomes=[o for o in map(_outcome, outcomes.get("primaryOutcomes") or []) if o],
        secondary_outcomes=[o for o in map(_outcome, outcomes.get("secondaryOutcomes") or []) if o],
        contacts=_contacts(contacts),
        ethics_review=None,
        results={
            "available": has_results if isinstance(has_results, bool) else None,
            "date_posted": iso_date(_get(status, "resultsFirstPostDateStruct", "date")),
            "date_completed": completion
            if _get(status, "completionDateStruct", "type") == "ACTUAL"
            else None,
            "url": f"{PUBLIC_BASE}/study/{tid}?tab=results" if has_results else None,
        },
        primary_completion_date=iso_date(_get(status, "primaryCompletionDateStruct", "date")),
        completion_date=completion,
        sites=_sites(contacts),
    )
    return finish_record(record)
