"""CT.gov's searches, IDs only: a saved search (``watcher follow --source ctgov``) and the list
of the studies updated since a day (watcher/sweep.py) are both ``GET /api/v2/studies`` with
``fields=NCTId``, a thousand IDs a page, every page followed to the end and counted against
``totalCount`` (ctrdata's users were bitten by a tool that stopped after the first thousand)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from watcher.core.searches import Found
from watcher.errors import FetchError
from watcher.sources.base import query_string
from watcher.sources.ctgov_study import nct_id

if TYPE_CHECKING:
    from watcher.sources.http import Fetcher

# IDs a page holds at most (CT.gov coerces larger pageSize values down to it).
ID_PAGE = 1000
# The search parameters of the API's /studies (the official API description, "query.*",
# "filter.*", "postFilter.*", "aggFilters", "geoDecay"); paging, fields and format are
# watcher's to set.
_SEARCH_KEY = re.compile(r"(query|filter|postFilter)\.[A-Za-z]+|aggFilters|geoDecay")


def check_query(text: str) -> str:
    """A saved search's query string, checked and written canonically."""
    return query_string(
        text,
        _SEARCH_KEY,
        "query.spons=Acme&filter.overallStatus=RECRUITING",
        "a search parameter of the CT.gov API (query.*, filter.*, postFilter.*, aggFilters, "
        "geoDecay); watcher sets the paging and fields itself",
    )


def id_pages(
    fetcher: Fetcher, url: str, params: list[tuple[str, str]], source: str, what: str, most: int
) -> Found | None:
    """Every NCT ID of a search, IDs only, every page read; None when that takes more than
    ``most`` requests. ``FetchError`` when an answer is not a list of studies, when a page
    repeats a token, or when fewer IDs are read than the first page counts."""
    import httpx

    from watcher.sources.ctgov import read_json

    base = [*params, ("fields", "NCTId"), ("pageSize", str(ID_PAGE)), ("countTotal", "true")]
    found: dict[str, None] = {}
    total: int | None = None
    token: str | None = None
    seen: set[str] = set()
    for request in range(most):
        query = base if token is None else [*base, ("pageToken", token)]
        page = read_json(fetcher.get(url, params=httpx.QueryParams(tuple(query))), source, None)
        studies = page.get("studies") if isinstance(page, dict) else None
        if not isinstance(studies, list):
            raise FetchError(source, None, f"no 'studies' list in the answer from {url}")
        if request == 0:
            counted = page.get("totalCount")
            total = counted if isinstance(counted, int) and counted >= 0 else None
            if total is not None and -(-total // ID_PAGE) > most:
                return None
        found.update((nct, None) for s in studies if (nct := nct_id(s)))
        token = page.get("nextPageToken")
        if not isinstance(token, str) or not token:
            if total is not None and len(found) < total:
                raise FetchError(source, None, f"read {len(found)} of the {total} {what}")
            return Found(found, total)
        if token in seen:
            raise FetchError(source, None, f"the register repeats a page of the {what}")
        seen.add(token)
    return None


def search(fetcher: Fetcher, base_url: str, query: str, source: str) -> Found:
    """Every study a saved search matches."""
    # However many: a search of every study CT.gov holds is 600 pages of IDs.
    found = id_pages(
        fetcher,
        f"{base_url}/api/v2/studies",
        parse_qsl(query),
        source,
        "studies the search counts",
        most=10_000,
    )
    if found is None:
        raise FetchError(source, None, "the search matches more than 10,000,000 studies")
    return found
