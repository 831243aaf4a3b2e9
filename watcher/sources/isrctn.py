"""ISRCTN: its API's WHO format, whose element names are the WHO data set's.

``GET {base}/api/query/format/who?q=ISRCTN…`` answers ``<trials><trial>…``; each trial is
read into a row of the ICTRP export's columns and mapped to the record as ICTRP's are, so an
ISRCTN trial reads the same directly and through ICTRP. ``watcher parse --source isrctn``
also reads the default format (``<allTrials><fullTrial>``, the richer one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lxml import etree

from watcher.core.lenient import Notes
from watcher.core.model import Fetched, Record
from watcher.core.normalize import clean_line, finish_record
from watcher.core.record import fill
from watcher.core.searches import Found
from watcher.errors import InputError, NormalizeError, RecordNotFound
from watcher.sources import isrctn_formats as formats
from watcher.sources.base import FetchResult, one_by_one
from watcher.sources.ictrp_formats import Row
from watcher.sources.ictrp_record import record_from_row

if TYPE_CHECKING:  # HTTP is loaded by the commands that fetch, not by `parse`
    from watcher.config import SourceSettings
    from watcher.sources.http import Fetcher

PUBLIC_BASE = "https://www.isrctn.com"
_ENROLMENT_TYPES = {"actual": "actual", "anticipated": "anticipated", "estimated": "anticipated"}


class Isrctn:
    """ISRCTN API, WHO format."""

    name = "isrctn"
    # Raise it whenever a payload reads differently (2: why_stopped).
    # 3: the actual enrolment apart from the plan; completion not a result. 4: a size of
    # 10^15 or more is kept as its text.
    parser_version = 4
    throttle_statuses: frozenset[int] = frozenset()

    def __init__(self, settings: SourceSettings) -> None:
        self.base_url = settings.base_url
        self.requests_per_minute = settings.requests_per_minute or 30
        self.page_size = 1

    def serves(self, registry: str) -> bool:
        return registry == "isrctn"

    def record_url(self, trial_id: str) -> str:
        return f"{PUBLIC_BASE}/{trial_id}"

    def fetch(self, fetcher: Fetcher, trial_ids: Sequence[str]) -> Iterator[FetchResult]:
        return one_by_one(trial_ids, lambda tid: self._fetch_one(fetcher, tid))

    def _fetch_one(self, fetcher: Fetcher, trial_id: str) -> Fetched:
        response = fetcher.get(
            f"{self.base_url}/api/query/format/who", trial_id=trial_id, params={"q": trial_id}
        )
        try:
            rows = formats.read_who(response.content, trial_id)
        except InputError as e:
            raise NormalizeError(self.name, trial_id, e.args[0].split(": ", 1)[-1]) from None
        if not any(r.get("trialid") == trial_id for r in rows):
            raise RecordNotFound(self.name, trial_id, "the register's answer holds no such trial")
        return Fetched(
            trial_id,
            self.name,
            _only(response.content, trial_id),
            "application/xml",
            self.record_url(trial_id),
        )

    def normalize(self, fetched: Fetched) -> Record:
        try:
            rows = formats.read_who(fetched.payload, fetched.trial_id)
        except InputError as e:
            raise NormalizeError(
                self.name, fetched.trial_id, e.args[0].split(": ", 1)[-1]
            ) from None
        row = next((r for r in rows if r.get("trialid") == fetched.trial_id), None)
        if row is None:
            raise NormalizeError(self.name, fetched.trial_id, "the answer holds no such trial")
        return record_of(row)

    def search_query(self, query: str) -> str:
        from watcher.sources.isrctn_search import check_query

        return check_query(query)

    def search(self, fetcher: Fetcher, query: str) -> Found:
        from watcher.sources.isrctn_search import search

        return search(fetcher, self.base_url, query, self.name)

    def parse_file(self, data: bytes, name: str) -> list[Record]:
        kind = formats.detect(data)
        if kind == formats.WHO:
            rows = formats.read_who(data, name)
        elif kind == formats.DEFAULT:
            rows = formats.read_default(data, name)
        else:
            raise InputError(name, "not an ISRCTN API answer (the WHO or the default format)")
        return [record_of(row) for row in rows]


def _only(answer: bytes, trial_id: str) -> bytes:
    """The answer with this trial's ``<trial>`` only: what is stored for it."""
    root = etree.fromstring(answer, etree.XMLParser(resolve_entities=False, huge_tree=True))
    for trial in list(root):
        main = trial.find("main")
        if main is None or (main.findtext("trial_id") or "").strip() != trial_id:
            root.remove(trial)
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def record_of(row: Row) -> Record:
    """An ISRCTN row's record: mapped as ICTRP's, with what ISRCTN gives beyond its columns
    (several ethics reviews, each contact's role, the enrolment's type)."""
    record = record_from_row(row, "isrctn")
    notes = Notes()
    reviews: list[dict[str, Any]] = []
    for review in row.get("ethics_reviews") or []:
        reviews.append(
            {
                "committee": clean_line(review.get("committee")),
                "status": clean_line(review.get("status")),
                "approval_date": notes.date(
                    "ethics_review.approval_date", review.get("approval_date")
                ),
            }
        )
    if reviews:
        days = sorted(r["approval_date"] for r in reviews if r["approval_date"])
        statuses = {r["status"] for r in reviews if r["status"]}
        fill(
            record,
            ethics_review={
                "status": statuses.pop()
                if len(statuses) == 1
                else "; ".join(r["status"] or "" for r in reviews),
                "approval_date": days[0] if days else None,
                "reviews": reviews,
            },
        )
    fill(record, contacts=_people(row.get("contacts") or []))
    kind = _ENROLMENT_TYPES.get((row.get("type_enrolment") or "").strip().lower())
    if kind == "actual":  # the number enrolled, given where the plan was
        fill(
            record,
            actual_enrolment=record["target_sample_size"],
            target_sample_size=None,
            target_sample_size_type=None,
        )
    elif kind and record["target_sample_size"] is not None:
        fill(record, target_sample_size_type=kind)
    if updated := row.get("isrctn_last_updated"):
        fill(record, last_updated=notes.date("last_updated", str(updated)[:10]))
    warnings = record.pop("_warnings", [])
    record = finish_record(record)
    notes.warnings[:0] = [(w["field"], w["why"]) for w in warnings]
    return notes.attach(record)


def _people(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per person, with every role they have (ISRCTN lists the public and the
    scientific contact apart, often the same person)."""
    out: list[dict[str, Any]] = []
    for c in contacts:
        person = {
            k: clean_line(c.get(k)) for k in ("name", "affiliation", "email", "phone", "address")
        }
        role = clean_line(c.get("role"))
        same = next(
            (p for p in out if all(p[k] == v for k, v in person.items())),
            None,
        )
        if same is not None:
            if role and role not in (same["role"] or "").split("; "):
                same["role"] = f"{same['role']}; {role}" if same["role"] else role
            continue
        if any(person.values()):
            out.append({**person, "role": role})
    return out
