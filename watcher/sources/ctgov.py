"""ClinicalTrials.gov, API v2: batch fetch by ``filter.ids`` and normalization of a study.

Only ``protocolSection`` and ``hasResults`` feed the record: ``derivedSection`` is recomputed
by NLM on every data refresh (``miscInfoModule.versionHolder`` changes daily) and would make a
version of every trial every day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson

from watcher.core.model import Fetched, Record
from watcher.core.searches import Found
from watcher.errors import AnswerCutShort, FetchError, InputError, NormalizeError, WatcherError
from watcher.sources.base import MAX_NESTING, FetchResult, for_trial, nesting
from watcher.sources.ctgov_study import PUBLIC_BASE, nct_id, normalize_study
from watcher.sources.memory import release_free_memory

if TYPE_CHECKING:  # HTTP is loaded by the commands that fetch, not by `parse`
    import httpx

    from watcher.config import SourceSettings
    from watcher.sources.http import Fetcher

log = logging.getLogger(__name__)

# A page's own keys, found in the edges of its body. Only a key can be an unescaped quoted
# string followed by a colon, and studies have no key of these names.
_PAGE_TOKEN = re.compile(rb'[{,]\s*"nextPageToken"\s*:\s*"([^"\\]+)"')
_STUDIES_KEY = re.compile(rb'[{,]\s*"studies"\s*:\s*\[')


class CtGov:
    """ClinicalTrials.gov API v2."""

    name = "ctgov"
    # Raise it whenever a payload reads differently (1: first versioned; 2: why_stopped).
    throttle_statuses: frozenset[int] = frozenset()
    # 3: the actual enrolment apart from the plan; completion not a result. 4: a count no
    # trial could have (10^30, -5, 12.5) kept as text with a warning.
    parser_version = 4

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
                if isinstance(payload, WatcherError):
                    yield trial_id, payload  # this study alone is unreadable
                    continue
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

    def updated_since(self, fetcher: Fetcher, since: date, most: int) -> set[str] | None:
        """The NCT IDs of every study CT.gov posted an update of on or after ``since`` (a
        day: the register dates its updates, it does not time them), IDs only, every page
        read; None when that takes more than ``most`` requests (fetching the studies
        themselves is then the cheaper way). ``FetchError`` when an answer is not such a list
        or fewer IDs are read than it counts: a list cut short would pass changes by."""
        from watcher.sources.ctgov_search import id_pages

        day = since.isoformat()
        found = id_pages(
            fetcher,
            f"{self.base_url}/api/v2/studies",
            [("filter.advanced", f"AREA[LastUpdatePostDate]RANGE[{day},MAX]")],
            self.name,
            f"studies updated since {day}",
            most,
        )
        return None if found is None else set(found.matches)

    def search_query(self, query: str) -> str:
        from watcher.sources.ctgov_search import check_query

        return check_query(query)

    def search(self, fetcher: Fetcher, query: str) -> Found:
        from watcher.sources.ctgov_search import search

        return search(fetcher, self.base_url, query, self.name)

    @staticmethod
    def _worth_splitting(error: FetchError) -> bool:
        """A 500 or an unreadable page can come from one record; an unreachable or
        overloaded register (429, 503) would only be hammered by the halves."""
        return not (error.unreachable or error.status in (429, 503))

    def _query(
        self, fetcher: Fetcher, ids: list[str], retries: int | None = None
    ) -> Iterator[tuple[str, bytes | WatcherError]]:
        """Each wanted study of the answer as (NCT ID, its JSON, or why it cannot be read).
        An answer cut short is asked again for the studies not read yet: at once while each
        try reads some, and with the fetcher's retries and backoff when a try reads none."""
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
    ) -> Iterator[tuple[str, bytes | WatcherError]]:
        """The studies of one query, page after page, parsed as the answer streams in: memory
        holds one study at a time, whatever the size of the page (1,000 of the largest records
        are a 370 MB answer). A study handed on leaves ``wanted``."""
        url = f"{self.base_url}/api/v2/studies"
        params = self._params(**{"filter.ids": ",".join(wanted), "pageSize": str(len(wanted))})
        for _ in range(len(wanted) + 1):  # a server that repeats its page token cannot loop us
            with fetcher.stream(url, params=params, retries=retries) as body:
                read = 0
                import ijson  # the streaming parser: loaded by the commands that fetch

                try:
                    for study in ijson.items(body, "studies.item", use_float=True):
                        read += 1
                        body.record_read()
                        nct = nct_id(study)
                        if nct in wanted:
                            del wanted[nct]  # a register answering twice for one ID: the first
                            yield nct, self._study_json(study)
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

    @staticmethod
    def _study_json(study: Any) -> bytes:
        """One study of a page as stored. Its nesting needs no second look: the page's bytes
        were followed as they came (``Body``), and a page deeper than its studies may be
        fails whole, to be fetched again in halves down to the one study that is."""
        return orjson.dumps(study)

    def _fetch_one(self, fetcher: Fetcher, trial_id: str) -> Fetched | WatcherError:
        url = f"{self.base_url}/api/v2/studies/{trial_id}"
        try:
            response = fetcher.get(url, trial_id=trial_id, params=self._params())
            study = read_json(response, self.name, trial_id)
            nct = nct_id(study)
        except WatcherError as e:
            return e
        if nct is None:
            return NormalizeError(
                self.name, trial_id, f"no protocolSection.identificationModule.nctId in {url}"
            )
        if nct != trial_id and not response.history:
            # Only a redirect of the register's own (an alias) may answer with another ID.
            return NormalizeError(
                self.name, trial_id, f"the register answered with another trial's record, {nct}"
            )
        if nesting(study) > MAX_NESTING:
            return NormalizeError(
                self.name, trial_id, f"the study nests deeper than {MAX_NESTING} levels"
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
        if not isinstance(study, dict) or nct_id(study) is None:
            raise NormalizeError(self.name, fetched.trial_id, "payload is not a study record")
        return normalize_study(study, fetched.trial_id)

    def parse_file(self, data: bytes, name: str) -> list[Record]:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise InputError(name, "not a ClinicalTrials.gov API v2 payload (not JSON)") from None
        if isinstance(doc, dict) and isinstance(doc.get("studies"), list):
            studies = doc["studies"]
        elif isinstance(doc, dict) and isinstance(doc.get("study"), dict):
            studies = [doc["study"]]  # a version from the site's history: {studyVersion, study}
        elif isinstance(doc, list):
            studies = doc
        else:
            studies = [doc]
        if not studies or not all(isinstance(s, dict) and nct_id(s) for s in studies):
            raise InputError(
                name,
                "not a ClinicalTrials.gov API v2 payload "
                "(expected a study or a search answer with protocolSection.identificationModule)",
            )
        return [normalize_study(s, nct_id(s)) for s in studies]


def read_json(response: httpx.Response, source: str, trial_id: str | None) -> Any:
    from watcher.logs import redact
    from watcher.sources.body import content_type

    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        if "depth limit" in str(e):  # orjson stops at 1,024 levels
            why = f"the answer from {redact(response.url)} nests deeper than {MAX_NESTING} levels"
            raise FetchError(source, trial_id, why, retryable=False) from None
        raise _not_json(redact(response.url), content_type(response), source, trial_id) from None


def _not_json(url: str, media_type: str, source: str, trial_id: str | None) -> FetchError:
    return FetchError(
        source, trial_id, f"expected JSON from {url}, got {media_type} that does not parse"
    )
