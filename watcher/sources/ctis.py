"""CTIS, the EU's Clinical Trials Information System: one ``retrieve`` request per trial.

``GET {base}/ctis-public-api/retrieve/{EU CT number}`` answers the whole record as JSON. CTIS
throttles: a 403, 429 or 503 is waited out (with its Retry-After) and tried again, and the
budget is low on purpose. ``watcher parse --source ctis`` also reads a ``search`` answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from watcher.core.model import Fetched, Record
from watcher.core.searches import Found
from watcher.errors import InputError, NormalizeError
from watcher.sources.base import FetchResult, one_by_one
from watcher.sources.ctis_record import normalize_retrieve, normalize_search_item, page_url

if TYPE_CHECKING:  # HTTP is loaded by the commands that fetch, not by `parse`
    from watcher.config import SourceSettings
    from watcher.sources.http import Fetcher


class Ctis:
    """CTIS public API."""

    name = "ctis"
    # Raise it whenever a payload reads differently (2: why_stopped).
    parser_version = 3  # 3: the completion date a date of the trial, not of its results
    # CTIS answers 403 when it throttles a client.
    throttle_statuses = frozenset({403})

    def __init__(self, settings: SourceSettings) -> None:
        self.base_url = settings.base_url
        self.requests_per_minute = settings.requests_per_minute or 20
        self.page_size = 1

    def serves(self, registry: str) -> bool:
        return registry == "ctis"

    def record_url(self, trial_id: str) -> str:
        return page_url(trial_id.removeprefix("CTIS"))

    def fetch(self, fetcher: Fetcher, trial_ids: Sequence[str]) -> Iterator[FetchResult]:
        return one_by_one(trial_ids, lambda tid: self._fetch_one(fetcher, tid))

    def _fetch_one(self, fetcher: Fetcher, trial_id: str) -> Fetched:
        url = f"{self.base_url}/ctis-public-api/retrieve/{trial_id.removeprefix('CTIS')}"
        response = fetcher.get(url, trial_id=trial_id)
        return Fetched(
            trial_id, self.name, response.content, "application/json", self.record_url(trial_id)
        )

    def normalize(self, fetched: Fetched) -> Record:
        data = loads_or_none(fetched.payload)
        if not isinstance(data, dict) or "ctNumber" not in data:
            raise NormalizeError(self.name, fetched.trial_id, "the answer is not a CTIS record")
        record = normalize_retrieve(data, fetched.trial_id)
        if record["url"] != self.record_url(fetched.trial_id):
            raise NormalizeError(
                self.name,
                fetched.trial_id,
                f"the register answered with another trial, {record['url']}",
            )
        return record

    def search_query(self, query: str) -> str:
        from watcher.sources.ctis_search import check_query

        return check_query(query)

    def search(self, fetcher: Fetcher, query: str) -> Found:
        from watcher.sources.ctis_search import search

        return search(fetcher, self.base_url, query, self.name)

    def parse_file(self, data: bytes, name: str) -> list[Record]:
        """A ``retrieve`` answer (one whole record) or a ``search`` answer (thin records)."""
        doc = loads_or_none(data)
        if isinstance(doc, dict) and "ctNumber" in doc:
            return [normalize_retrieve(doc)]
        if isinstance(doc, dict) and isinstance(doc.get("data"), list):
            return [normalize_search_item(item) for item in doc["data"] if isinstance(item, dict)]
        raise InputError(
            name, "not a CTIS answer (expected a retrieve record with ctNumber or a search answer)"
        )


def loads_or_none(data: bytes) -> Any:
    """The JSON of an answer; None when it is not JSON (the caller says what it expected)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
