"""The interface every register adapter implements, and what they share."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode

from watcher.core.model import Expanded, Fetched, Record
from watcher.core.searches import Found
from watcher.errors import FetchError, InputError, RecordNotFound, RegistryError, WatcherError

if TYPE_CHECKING:  # HTTP is loaded by the commands that fetch, not by `parse`
    from watcher.sources.http import Fetcher

# One trial's answer from a batch fetch: its payload, the records a whole-trial watch stands
# for, or the error that stopped it.
FetchResult = tuple[str, Fetched | Expanded | WatcherError]

# No real record nests deeper than 14 levels (CTIS); a deeper answer is refused before any
# recursive code (orjson stops at 255, deepdiff and Python's json at the recursion limit) meets it.
MAX_NESTING = 64


class Source(Protocol):
    """A way of fetching and normalizing records: one register's API or page format."""

    name: str
    # Requests a minute this source allows itself (the register's published or polite budget).
    requests_per_minute: int
    # Trials one request fetches at most (CT.gov: a page of studies; 1 for one by one).
    page_size: int
    # Raised whenever the adapter reads any payload into a different record: each version
    # names the parser that read it, and one read by an older parser is read again from its
    # raw payload before anything is compared with it (watcher/reread.py).
    parser_version: int
    # HTTP statuses by which the register asks a client to slow down, beyond 429 and 503
    # (CTIS answers 403): waited out and tried again like them.
    throttle_statuses: frozenset[int]

    def serves(self, registry: str) -> bool:
        """Whether this source can fetch the records of ``registry``."""
        ...

    def record_url(self, trial_id: str) -> str:
        """The record's public page."""
        ...

    def fetch(self, fetcher: Fetcher, trial_ids: Sequence[str]) -> Iterator[FetchResult]:
        """Fetch every trial of ``trial_ids``, as few requests as the register allows;
        yield one result per trial, in any order, never raise for one trial's failure."""
        ...

    def normalize(self, fetched: Fetched) -> Record:
        """The normalized record (docs/contract.md §3) of one fetched payload."""
        ...

    def parse_file(self, data: bytes, name: str) -> list[Record]:
        """Every record in a saved payload; ``InputError`` naming ``name`` if it is not
        this source's format."""
        ...


@runtime_checkable
class ListsUpdates(Protocol):
    """A register that lists which of its records it updated since a day (CT.gov), so that a
    check between two full sweeps fetches those alone (watcher/sweep.py)."""

    def updated_since(self, fetcher: Fetcher, since: date, most: int) -> set[str] | None:
        """The IDs of the records updated on or after ``since``; None when the list would
        take more than ``most`` requests."""
        ...


@runtime_checkable
class Searches(Protocol):
    """A register whose own search an office can follow (``watcher follow``, README "Saved
    searches"): the query in the register's own terms, every page of its answer read."""

    def search_query(self, query: str) -> str:
        """The query as it is kept, checked: ``InputError`` saying what the register would
        not take."""
        ...

    def search(self, fetcher: Fetcher, query: str) -> Found:
        """Every trial the search matches, every page read, counted against the register's
        own count: ``FetchError`` when fewer are read than it counts for no limit it
        states; ``Found.capped`` when the register answers no more by a limit of its own."""
        ...


def query_string(text: str, keys: re.Pattern[str], example: str, allowed: str) -> str:
    """A saved search's query string (``key=value&...``), checked: every key one ``keys``
    matches, no value empty; written canonically. ``InputError`` naming the query and the
    key a register would not take."""
    try:
        pairs = parse_qsl(text.strip().lstrip("?"), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InputError(text, f"not a query string ({example})") from None
    for key, value in pairs:
        if not keys.fullmatch(key):
            raise InputError(text, f"{key}: not {allowed}")
        if not value.strip():
            raise InputError(text, f"{key} is empty")
    return urlencode(pairs, safe=",:[]()")  # (as the register's own examples write them)


def one_by_one(
    trial_ids: Sequence[str], fetch_one: Callable[[str], Fetched]
) -> Iterator[FetchResult]:
    """The answers of a register fetched a trial at a time: a trial's failure is its result,
    never the end of the others."""
    for trial_id in trial_ids:
        try:
            yield trial_id, fetch_one(trial_id)
        except WatcherError as e:
            yield trial_id, e


def parser_id(source: Source) -> str:
    """What each stored version names as its reader: ``"ictrp:2"``."""
    return f"{source.name}:{source.parser_version}"


def for_trial(error: WatcherError, trial_id: str) -> WatcherError:
    """The same failure, named for one of the trials it stopped (a batch or download that
    failed as a whole)."""
    if isinstance(error, RecordNotFound):
        return RecordNotFound(error.source, trial_id, error.why)
    if isinstance(error, FetchError):
        return FetchError(
            error.source,
            trial_id,
            error.why,
            retryable=error.retryable,
            status=error.status,
            unreachable=error.unreachable,
        )
    if isinstance(error, RegistryError):
        return type(error)(error.source, trial_id, error.why)
    return error


def nesting(value: object) -> int:
    """How deep lists and objects nest in ``value`` (a scalar: 0), counted without recursion
    and no further than ``MAX_NESTING + 1``."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest
