"""The stand-in registers' searches (tests/registry_server.py), answered from the records they
serve: CT.gov's ``query.*``/``filter.*`` over its studies, CTIS's ``searchCriteria``, ISRCTN's
``q`` and EUCTR's ``query``, each paged as the register pages and counted as it counts.

Matching is plain: a case-insensitive substring of the fields each parameter names
(sponsor, condition, status, last-update date), enough for the tests to make trials enter and
leave a search by changing a real record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

# A search parameter of CT.gov's /studies and the paths of a study it looks in.
CTGOV_PATHS: dict[str, list[tuple[str, ...]]] = {
    "query.spons": [
        ("protocolSection", "sponsorCollaboratorsModule", "leadSponsor", "name"),
        ("protocolSection", "sponsorCollaboratorsModule", "collaborators", "name"),
    ],
    "query.lead": [("protocolSection", "sponsorCollaboratorsModule", "leadSponsor", "name")],
    "query.cond": [
        ("protocolSection", "conditionsModule", "conditions"),
        ("protocolSection", "conditionsModule", "keywords"),
    ],
    "query.titles": [
        ("protocolSection", "identificationModule", "briefTitle"),
        ("protocolSection", "identificationModule", "officialTitle"),
    ],
    "query.intr": [("protocolSection", "armsInterventionsModule", "interventions", "name")],
}
_LAST_UPDATE = re.compile(r"AREA\[LastUpdatePostDate\]RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]")


def _values(data: Any, path: tuple[str, ...]) -> Iterable[str]:
    if not path:
        if isinstance(data, list):
            for item in data:
                yield from _values(item, ())
        elif data is not None:
            yield str(data)
        return
    if isinstance(data, list):
        for item in data:
            yield from _values(item, path)
    elif isinstance(data, dict):
        yield from _values(data.get(path[0]), path[1:])


def _has(study: Any, paths: list[tuple[str, ...]], text: str) -> bool:
    wanted = text.lower()
    return any(wanted in v.lower() for p in paths for v in _values(study, p))


def ctgov_matches(study: Any, query: Mapping[str, str]) -> bool:
    """Whether a study matches a /studies search (the parameters the tests use)."""
    if isinstance(study, bytes):
        study = orjson.loads(study)
    for key, value in query.items():
        if key in CTGOV_PATHS:
            if not _has(study, CTGOV_PATHS[key], value):
                return False
        elif key == "query.term":
            if value.lower() not in orjson.dumps(study).decode().lower():
                return False
        elif key == "filter.overallStatus":
            status = next(
                iter(_values(study, ("protocolSection", "statusModule", "overallStatus"))), ""
            )
            if status not in value.split(","):
                return False
        elif key == "filter.advanced":
            since = _LAST_UPDATE.fullmatch(value)
            day = next(
                iter(
                    _values(
                        study,
                        ("protocolSection", "statusModule", "lastUpdatePostDateStruct", "date"),
                    )
                ),
                "",
            )
            if since is None or day < since.group(1):
                return False
    return True


def is_search(query: Mapping[str, str]) -> bool:
    return any(k.startswith(("query.", "filter.overallStatus")) for k in query) or (
        "filter.advanced" in query and "filter.ids" not in query
    )


def ctis_matches(record: Mapping[str, Any], criteria: Mapping[str, Any]) -> bool:
    """Whether a CTIS retrieve record matches ``searchCriteria`` (medicalCondition, sponsor,
    status codes, containAll)."""
    text = orjson.dumps(record).decode().lower()
    for key, value in criteria.items():
        if value in (None, "", []):
            continue
        if key in ("medicalCondition", "sponsor", "containAll", "title"):
            if str(value).lower() not in text:
                return False
        elif key == "status":
            code = record.get("ctPublicStatusCode", record.get("ctStatus"))
            if code not in value:
                return False
    return True


def ctis_item(record: Mapping[str, Any]) -> dict[str, Any]:
    """A search answer's item of a retrieve record: its number, status code and title, as the
    real search answer gives them."""
    part1 = (record.get("authorizedApplication") or {}).get("authorizedPartI") or {}
    info = part1.get("trialDetails", {}).get("clinicalTrialIdentifiers", {})
    code = record.get("ctPublicStatusCode", record.get("ctStatus"))
    return {
        "ctNumber": record.get("ctNumber"),
        "ctStatus": code if isinstance(code, int) else None,
        "ctTitle": info.get("fullTitle") or record.get("ctTitle"),
        "shortTitle": info.get("shortTitle"),
        # dd/mm/yyyy, as the search answer writes its dates
        "decisionDateOverall": "/".join(reversed(str(record.get("decisionDate"))[:10].split("-"))),
    }


def ctis_page(records: Mapping[str, Any], body: bytes, cap: int) -> dict[str, Any]:
    """The answer to ``POST /search``: a page of the matches, at most ``cap`` of them served
    however many match (CTIS answers at most 10,000), ``totalRecords`` counting them all."""
    asked = orjson.loads(body)
    criteria = asked.get("searchCriteria") or {}
    page = int(asked["pagination"]["page"])
    size = int(asked["pagination"]["size"])
    found = [r for _, r in sorted(records.items()) if ctis_matches(r, criteria)]
    served = found[:cap]
    items = served[(page - 1) * size : page * size]
    pages = -(-len(served) // size)
    return {
        "showWarning": len(found) > cap,
        "pagination": {
            "totalRecords": len(found),
            "currentPage": page,
            "totalPages": pages,
            "nextPage": page < pages,
            "prevPage": page > 1,
        },
        "data": [ctis_item(r) for r in items],
    }


def isrctn_found(trials: Mapping[str, bytes], q: str) -> list[bytes]:
    """The WHO-format ``<trial>``s a ``q`` matches: the one of that ID, or those whose text
    holds it."""
    if q.strip() in trials:
        return [trials[q.strip()]]
    return [t for _, t in sorted(trials.items()) if q.lower().encode() in t.lower()]


def euctr_records_matching(download: str, query: str) -> str:
    """A text download holding the records whose text holds ``query`` (EUCTR's own search
    reads every field)."""
    return euctr_records_where(download, lambda chunk: query.lower() in chunk.lower())


def euctr_records_where(download: str, keep: Callable[[str], bool]) -> str:
    """The preamble of a real text download and those of its records ``keep`` keeps (none:
    the preamble alone, as EUCTR answers)."""
    lines = download.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == "Summary"]
    preamble = "\n".join(lines[: starts[0]]) if starts else download
    chunks = [
        "\n".join(lines[s : (starts[n + 1] if n + 1 < len(starts) else len(lines))])
        for n, s in enumerate(starts)
    ]
    kept = [c for c in chunks if keep(c)]
    return "\n".join([preamble, *kept]) if kept else preamble + "\n"
