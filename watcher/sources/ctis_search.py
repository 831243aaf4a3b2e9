"""CTIS's search (``watcher follow --source ctis``): ``POST /ctis-public-api/search`` with the
portal's own ``searchCriteria``, a hundred trials a page, every page read. CTIS answers at most
10,000 trials a search (ctrdata issue #59): a search that reaches it is said to be capped,
never taken for all that matches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from watcher.core.lenient import Notes
from watcher.core.searches import Found, Match
from watcher.errors import FetchError, InputError, WatcherError
from watcher.sources.ctis import loads_or_none
from watcher.sources.ctis_record import normalize_search_item

if TYPE_CHECKING:
    from watcher.sources.http import Fetcher

CAP = 10_000  # trials a CTIS search answers at most
PAGE = 100


def check_query(text: str) -> str:
    """The ``searchCriteria`` object, as JSON written canonically."""
    try:
        criteria = orjson.loads(text)
    except orjson.JSONDecodeError:
        criteria = None
    if not isinstance(criteria, dict) or not criteria:
        raise InputError(
            text, 'not a CTIS searchCriteria JSON object ({"medicalCondition": "diabetes"})'
        )
    return orjson.dumps(criteria, option=orjson.OPT_SORT_KEYS).decode()


def search(fetcher: Fetcher, base_url: str, query: str, source: str) -> Found:
    url = f"{base_url}/ctis-public-api/search"
    criteria = orjson.loads(query)
    found: dict[str, Match | None] = {}
    total: int | None = None
    for page in range(1, CAP // PAGE + 2):
        paged = {"pagination": {"page": page, "size": PAGE}, "searchCriteria": criteria}
        answer = loads_or_none(fetcher.post(url, orjson.dumps(paged)).content)
        items = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise FetchError(source, None, f"no 'data' list in the answer from {url}")
        paging = answer.get("pagination") if isinstance(answer, dict) else None
        paging = paging if isinstance(paging, dict) else {}
        if page == 1 and isinstance(paging.get("totalRecords"), int):
            total = paging["totalRecords"]
        for item in items:
            match = _match(item)
            if match is not None:
                found.setdefault(match.trial_id, match)
        if not items or paging.get("nextPage") is not True:
            break
    read = len(found)
    # CTIS counts what it will not answer: fewer read than counted, or as many as it
    # answers at all, is its cap; the office is told, never shown a part as the whole.
    capped = read >= CAP or (total is not None and read < total)
    return Found(found, total, capped)


def _match(item: Any) -> Match | None:
    if not isinstance(item, dict):
        return None
    try:
        record = normalize_search_item(item)
    except WatcherError:
        return None  # an item without an EU CT number names no trial
    # The search answer's overall decision date: when the trial was authorised.
    day = Notes().date("registration_date", item.get("decisionDateOverall"))
    return Match.of(record["trial_id"], {**record, "registration_date": day})
