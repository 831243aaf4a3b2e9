"""EU Clinical Trials Register: one text download per EudraCT number, split by member state.

A trial is one record per member state (``EUCTR2021-002179-21-PL``); the download
(``/ctr-search/rest/download/full?query=NUMBER``) holds all of them in one request. Watching the
bare number (``EUCTR2021-002179-21``) watches every member-state record it holds, including
those added later. EUCTR has no "last updated" field: changes are found by comparing content.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from watcher.core.ids import euctr_parts
from watcher.core.lenient import Notes
from watcher.core.model import Expanded, Fetched, Record
from watcher.core.searches import Found
from watcher.errors import (
    FetchError,
    InputError,
    NormalizeError,
    RecordNotFound,
    WatcherError,
)
from watcher.sources.base import FetchResult, for_trial
from watcher.sources.euctr_format import EuctrRecord, read_protocol_page, split_download
from watcher.sources.euctr_record import normalize_record, page_url, trial_id_of

if TYPE_CHECKING:  # HTTP is loaded by the commands that fetch, not by `parse`
    from watcher.config import SourceSettings
    from watcher.sources.http import Fetcher

CONTENT_TYPE = "text/plain; charset=utf-8"
# How every text download starts, records or none.
DOWNLOAD_PREAMBLE = "This file contains full details on each clinical trial selected for download"


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Euctr:
    """EU Clinical Trials Register: text download, protocol pages as a second format."""

    name = "euctr"
    # Raise it whenever a payload reads differently (1: first versioned; 2: why_stopped).
    throttle_statuses: frozenset[int] = frozenset()
    # 3: the completion date a date of the trial, not of its results. 4: a size of 10^15 or
    # more is no number.
    parser_version = 4

    def __init__(self, settings: SourceSettings) -> None:
        self.base_url = settings.base_url
        self.requests_per_minute = settings.requests_per_minute or 300
        self.page_size = 1

    def serves(self, registry: str) -> bool:
        return registry == "euctr"

    def record_url(self, trial_id: str) -> str:
        return page_url(trial_id)

    def fetch(self, fetcher: Fetcher, trial_ids: Sequence[str]) -> Iterator[FetchResult]:
        by_number: dict[str, list[str]] = defaultdict(list)
        for trial_id in trial_ids:
            by_number[euctr_parts(trial_id)[0]].append(trial_id)
        for number, wanted in by_number.items():
            yield from self._fetch_number(fetcher, number, wanted)

    def _fetch_number(
        self, fetcher: Fetcher, number: str, wanted: list[str]
    ) -> Iterator[FetchResult]:
        url = f"{self.base_url}/ctr-search/rest/download/full"
        try:
            response = fetcher.get(url, params={"query": number, "mode": "current_page"})
            whole(response.content, f"{url}?query={number}", self.name, number)
            found = self.split(response.content, f"{url}?query={number}", number)
        except WatcherError as e:
            for trial_id in wanted:
                yield trial_id, for_trial(e, trial_id)
            return
        family = f"EUCTR{number}"
        wanted_set = set(wanted)
        if family in wanted_set:
            yield family, Expanded(family, self.name, tuple(sorted(found)))
            wanted_set |= set(found)
        for trial_id in sorted(wanted_set - {family}):
            if trial_id in found:
                yield (
                    trial_id,
                    Fetched(
                        trial_id,
                        self.name,
                        found[trial_id],
                        CONTENT_TYPE,
                        self.record_url(trial_id),
                    ),
                )
            else:
                states = ", ".join(t.rsplit("-", 1)[1] for t in sorted(found))
                yield (
                    trial_id,
                    RecordNotFound(
                        self.name,
                        trial_id,
                        f"the register's download of {number} has no "
                        f"{euctr_parts(trial_id)[1]} record (member states in it: {states})",
                    ),
                )

    def split(self, data: bytes, where: str, number: str) -> dict[str, bytes]:
        """Each member-state record of ``number`` in a download, as its own text (with its
        duplicates, if the download repeats it).

        Raises ``NormalizeError`` when the answer is no download or holds no record of the
        trial (an error page or an empty download served with HTTP 200)."""
        text = data.decode("utf-8", errors="replace")
        try:
            grouped = group_records(text, where)
        except InputError:
            if text.lstrip().startswith(DOWNLOAD_PREAMBLE):
                raise NormalizeError(
                    self.name,
                    f"EUCTR{number}",
                    f"the download from {where} holds no record of {number} (an empty download)",
                ) from None
            raise NormalizeError(
                self.name,
                f"EUCTR{number}",
                f"the answer from {where} is not an EUCTR text download (no 'Summary' block: "
                "an error or maintenance page?)",
            ) from None
        found = {
            tid: "".join(chunk for _, chunk in items).encode("utf-8")
            for tid, items in grouped.items()
            if euctr_parts(tid)[0] == number
        }
        if not found:
            raise NormalizeError(
                self.name,
                f"EUCTR{number}",
                f"the download from {where} holds no record of {number}",
            )
        return found

    def normalize(self, fetched: Fetched) -> Record:
        text = fetched.payload.decode("utf-8", errors="replace")
        try:
            grouped = group_records(text, fetched.url)
        except InputError as e:
            raise NormalizeError(self.name, fetched.trial_id, str(e)) from None
        items = grouped.get(fetched.trial_id)
        if items is None:
            raise NormalizeError(self.name, fetched.trial_id, "the payload holds no record of it")
        return normalize_grouped(items, fetched.trial_id)

    def search_query(self, query: str) -> str:
        from watcher.sources.euctr_search import check_query

        return check_query(query)

    def search(self, fetcher: Fetcher, query: str) -> Found:
        from watcher.sources.euctr_search import search

        return search(self, fetcher, query)

    def parse_file(self, data: bytes, name: str) -> list[Record]:
        """Every member-state record of a text download, or the one of a protocol page."""
        head = data[:2048].lstrip().lower()
        if head.startswith(b"<!doctype") or b"<html" in head:
            record = read_protocol_page(data, name)
            return [normalize_record(record, trial_id_of(record, name))]
        grouped = group_records(data.decode("utf-8", errors="replace"), name)
        return [normalize_grouped(items, tid) for tid, items in grouped.items()]


def normalize_grouped(items: list[tuple[EuctrRecord, str]], trial_id: str) -> Record:
    """The record of one member state from its records in a download (a repeated one read
    from its latest decision)."""
    return normalize_record(_pick_duplicate(items), trial_id, len(items))


def whole(data: bytes, where: str, source: str, number: str | None) -> None:
    """Raise ``FetchError`` when a download stops inside its last record: it would read as
    that member state losing its last sections, and the member states after it as gone.
    Every record of an EEA member state ends with section P (End of Trial); a third-country
    record has none, and is whole when its line is."""
    data = data.replace(b"\r\n", b"\n")
    last = data.rsplit(b"\nSummary\n", 1)
    if len(last) == 1:
        return  # no record at all: split() says what the answer is
    record = last[1]
    if data.endswith(b"\n") and (
        b"\nP. End of Trial" in record or b"clinical trial type: outside" in record.lower()
    ):
        return
    raise FetchError(
        source,
        f"EUCTR{number}" if number else None,
        f"the download from {where} stops inside its last record after {len(data)} bytes: "
        "cut short",
    )


def group_records(text: str, where: str) -> dict[str, list[tuple[EuctrRecord, str]]]:
    """The records of a download by member-state trial ID, each with its own text, in the
    file's order; a member state the download repeats has several."""
    grouped: dict[str, list[tuple[EuctrRecord, str]]] = defaultdict(list)
    for record, chunk in zip(split_download(text, where), _record_texts(text), strict=True):
        grouped[trial_id_of(record, where)].append((record, chunk))
    return dict(grouped)


def _record_texts(text: str) -> list[str]:
    """The download cut into one text per record, each starting at its 'Summary' line."""
    lines = text.replace("\r\n", "\n").split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == "Summary"]
    return [
        "\n".join(lines[s : (starts[n + 1] if n + 1 < len(starts) else len(lines))]) + "\n"
        for n, s in enumerate(starts)
    ]


def _day(text: str | None) -> str:
    """A decision date as read (a date written twice is that date); an unreadable one counts
    as no date, never as later than a real one."""
    day = Notes().date("", text) or ""
    return day if _ISO_DAY.fullmatch(day) else ""


def _pick_duplicate(items: list[tuple[EuctrRecord, str]]) -> EuctrRecord:
    """Downloads can hold two records of one member state (a resubmission): keep the one
    with the latest authority and ethics decisions, the later one in the file on a tie."""

    def key(item: tuple[int, tuple[EuctrRecord, str]]) -> tuple[str, str, int]:
        n, (record, _) = item
        return (
            _day(record.first("N.", "Date of Competent Authority Decision")),
            _day(record.first("N.", "Date of Ethics Committee Opinion")),
            n,
        )

    return max(enumerate(items), key=key)[1][0]
