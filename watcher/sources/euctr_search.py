"""EUCTR's search (``watcher follow --source euctr``): the register's own ``query`` (and its
search form's filters), answered by the full text download of every member-state record it
matches. A trial is told once, by its EudraCT number (``EUCTR2021-002179-21``), whichever of
its member states match; watching it watches them all."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from watcher.core.ids import euctr_parts
from watcher.core.searches import Found, Match
from watcher.errors import FetchError, InputError
from watcher.sources.base import query_string

if TYPE_CHECKING:
    from watcher.sources.euctr import Euctr
    from watcher.sources.http import Fetcher

# The search form's parameters (ctr-search/search?query=…&status=…).
_KEYS = re.compile(r"query|age|gender|phase|status|country|trialPop|dateFrom|dateTo|rare")


def check_query(text: str) -> str:
    return query_string(
        text,
        _KEYS,
        "query=masitinib&status=ongoing",
        "a search parameter of EUCTR (query, age, gender, phase, status, country, trialPop, "
        "dateFrom, dateTo, rare)",
    )


def search(adapter: Euctr, fetcher: Fetcher, query: str) -> Found:
    from watcher.sources.euctr import DOWNLOAD_PREAMBLE, group_records, normalize_grouped, whole

    url = f"{adapter.base_url}/ctr-search/rest/download/full"
    params = dict(parse_qsl(query))
    data = fetcher.get(url, params=params).content
    where = f"{url}?{query}"
    text = data.decode("utf-8", errors="replace")
    if text.lstrip().startswith(DOWNLOAD_PREAMBLE) and "\nSummary" not in text:
        return Found({}, 0)  # a download of no record: nothing matches
    whole(data, where, adapter.name, None)
    try:
        grouped = group_records(text, where)
    except InputError:
        raise FetchError(
            adapter.name, None, f"the answer from {where} is not an EUCTR text download"
        ) from None
    found: dict[str, Match | None] = {}
    for member, items in sorted(grouped.items()):
        trial = f"EUCTR{euctr_parts(member)[0]}"
        if trial not in found:
            found[trial] = Match.of(trial, normalize_grouped(items, member))
    return Found(found, len(found))
