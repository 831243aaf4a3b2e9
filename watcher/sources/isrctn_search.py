"""ISRCTN's search (``watcher follow --source isrctn``): the API's ``q`` (and ``filters``),
counted by the default format with ``limit=0`` (``<allTrials totalCount="…"/>``) and read a
hundred trials a page in the WHO format, every page, until as many are read as counted."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from watcher.core.searches import Found, Match
from watcher.errors import FetchError, InputError
from watcher.sources import isrctn_formats as formats
from watcher.sources.base import query_string

if TYPE_CHECKING:
    from watcher.sources.http import Fetcher

PAGE = 100
# However large ISRCTN grows (some 25,000 trials in 2026): a bound on the pages read.
MOST_PAGES = 1000
_TOTAL = re.compile(rb'totalCount="(\d+)"')


def check_query(text: str) -> str:
    return query_string(
        text,
        re.compile("q|filters"),
        "q=colchicine",
        "a search parameter of the ISRCTN API (q, filters)",
    )


def search(fetcher: Fetcher, base_url: str, query: str, source: str) -> Found:
    from watcher.sources.isrctn import record_of

    params = dict(parse_qsl(query))
    count_url = f"{base_url}/api/query/format/default"
    counted = _TOTAL.search(fetcher.get(count_url, params={**params, "limit": "0"}).content)
    if counted is None:
        raise FetchError(source, None, f"no totalCount in the answer from {count_url}")
    total = int(counted.group(1))
    url = f"{base_url}/api/query/format/who"
    found: dict[str, Match | None] = {}
    for page in range(MOST_PAGES):
        if len(found) >= total:
            break
        answer = fetcher.get(url, params={**params, "limit": str(PAGE), "offset": str(page * PAGE)})
        try:
            rows = formats.read_who(answer.content, url)
        except InputError as e:
            raise FetchError(source, None, str(e)) from None
        for row in rows:
            record = record_of(row)
            found.setdefault(record["trial_id"], Match.of(record["trial_id"], record))
        if len(rows) < PAGE:
            break
    if len(found) < total:
        raise FetchError(source, None, f"read {len(found)} of the {total} trials the search counts")
    return Found(found, total)
