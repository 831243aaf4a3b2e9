"""WHO ICTRP: every register's records, as the trial page, the web service, or an export.

ICTRP is the way to watch trials of registers without an adapter of their own (DRKS, ANZCTR,
ChiCTR, JPRN, CTIS, ISRCTN...). Each of its formats is read into one row of export columns
(``ictrp_formats``); ``record_from_row`` maps that row to the record, so the same trial reads
the same from every format that carries the same fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from watcher.core.model import Fetched, Record
from watcher.core.record import fill
from watcher.errors import FetchError, InputError, NormalizeError, RecordNotFound
from watcher.logs import redact
from watcher.sources import ictrp_formats as formats
from watcher.sources import ictrp_page as page
from watcher.sources.base import FetchResult, one_by_one
from watcher.sources.ictrp_record import record_from_row

if TYPE_CHECKING:  # HTTP is loaded by the commands that fetch, not by `parse`
    from watcher.config import SourceSettings
    from watcher.sources.http import Fetcher

PUBLIC_BASE = "https://trialsearch.who.int"


class Ictrp:
    """WHO ICTRP: trial pages, or the web service when an account is configured."""

    name = "ictrp"
    # Raise it whenever a payload reads differently (2: contacts slot by slot, several
    # ethics committees, the real HTML page; 3: why_stopped).
    throttle_statuses: frozenset[int] = frozenset()
    # 4: the completion date a date of the trial, not of its results. 5: a size of 10^15 or
    # more is kept as its text.
    parser_version = 5

    def __init__(self, settings: SourceSettings) -> None:
        self.base_url = settings.base_url
        self.requests_per_minute = settings.requests_per_minute or 10
        self.page_size = 1
        self.username = settings.username
        self.password = settings.password
        self.service_url = settings.service_url

    def serves(self, registry: str) -> bool:
        return True  # ICTRP carries every WHO primary register

    def record_url(self, trial_id: str) -> str:
        return f"{PUBLIC_BASE}/Trial2.aspx?TrialID={quote(trial_id, safe='')}"

    def fetch(self, fetcher: Fetcher, trial_ids: Sequence[str]) -> Iterator[FetchResult]:
        return one_by_one(trial_ids, lambda tid: self._fetch_one(fetcher, tid))

    def _fetch_one(self, fetcher: Fetcher, trial_id: str) -> Fetched:
        if self.username:
            response = fetcher.get(
                f"{self.service_url}/GetTrialDetails",
                trial_id=trial_id,
                params={
                    "TrialIDnum": trial_id,
                    "username": self.username,
                    "password": self.password,
                },
            )
            kind = "application/xml"
            if formats.detect(response.content) == "web-service":
                try:
                    if formats.read_web_service(response.content, trial_id) is None:
                        raise RecordNotFound(
                            self.name,
                            trial_id,
                            "the ICTRP web service has no such record (empty answer)",
                        )
                except InputError:
                    pass  # normalize() names what is wrong with it
        else:
            response = fetcher.get(
                f"{self.base_url}/Trial2.aspx", trial_id=trial_id, params={"TrialID": trial_id}
            )
            kind = "text/html"
            if not page.is_whole(response.content):
                # A page cut short reads as a record that lost its last sections (results,
                # ethics review): never a version, whatever the fields still read.
                raise FetchError(
                    self.name,
                    trial_id,
                    f"the trial page from {redact(response.url)} ends before its footer after "
                    f"{len(response.content)} bytes: cut short",
                )
        return Fetched(trial_id, self.name, response.content, kind, self.record_url(trial_id))

    def normalize(self, fetched: Fetched) -> Record:
        tid = fetched.trial_id
        kind = formats.detect(fetched.payload)
        try:
            if kind == "web-service":
                row = formats.read_web_service(fetched.payload, tid)
                if row is None:
                    raise NormalizeError(self.name, tid, "the web service answered no record")
            elif kind in ("page-html", "page-text"):
                text = (
                    page.page_text(fetched.payload)
                    if kind == "page-html"
                    else fetched.payload.decode("utf-8", errors="replace")
                )
                row = page.read_page_text(text, tid)
            else:
                raise NormalizeError(
                    self.name, tid, "the answer is neither a trial page nor a web-service record"
                )
        except InputError as e:
            raise NormalizeError(self.name, tid, e.args[0].split(": ", 1)[-1]) from None
        record = record_from_row(row, self.name)
        if record["trial_id"].upper() != tid.upper():
            raise NormalizeError(
                self.name, tid, f"the register answered with another trial, {record['trial_id']}"
            )
        return fill(record, trial_id=tid)

    def parse_file(self, data: bytes, name: str) -> list[Record]:
        """Every trial of an XML export or CSV download, or the one of a trial page or
        web-service answer; the format is recognized from the content."""
        kind = formats.detect(data)
        if kind == "xml-export":
            rows = formats.read_export(data, name)
        elif kind == "csv":
            rows = formats.read_csv(data, name)
        elif kind == "page-html":
            rows = [page.read_page(data, name)]
        elif kind == "page-text":
            rows = [page.read_page_text(data.decode("utf-8", errors="replace"), name)]
        elif kind == "web-service":
            row = formats.read_web_service(data, name)
            if row is None:
                raise InputError(
                    name, "an ICTRP web-service answer without a record (the service's 'not found')"
                )
            rows = [row]
        else:
            raise InputError(
                name,
                "not an ICTRP format (an XML export, a CSV download, a "
                "trial page or a web-service answer)",
            )
        return [record_from_row(row, self.name) for row in rows]
