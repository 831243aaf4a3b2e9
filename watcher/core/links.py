"""One trial, several registrations: the other registrations a record names, and where two
registrations of one trial disagree on what matters (docs/contract.md §3).

Pure: does not interact with any dependencies, only processes data. Records name each other
among their secondary IDs (CT.gov ``secondaryIdInfos``, EUCTR A.5, CTIS secondary identifying
numbers, ISRCTN secondary numbers), written in many ways ("EudraCT 2020-001234-56",
"NCT04280705", "IRAS 1234"): each is searched for the IDs of the registers watcher can watch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from watcher.core.display import plain
from watcher.core.flags import NOT_ENDED, RedFlag
from watcher.core.model import Record
from watcher.core.normalize import as_date

# IDs of registers watcher watches directly, as they appear inside free text. A EudraCT
# number names the whole EUCTR trial (every member state); an EU CT number the CTIS trial.
_FOUND = (
    (re.compile(r"\bNCT\d{8}\b", re.IGNORECASE), lambda m: m.group(0).upper()),
    (re.compile(r"\bISRCTN\d{8}\b", re.IGNORECASE), lambda m: m.group(0).upper()),
    (re.compile(r"(?<![\d-])(\d{4}-5\d{5}-\d{2}-\d{2})(?![\d-])"), lambda m: f"CTIS{m.group(1)}"),
    (re.compile(r"(?<![\d-])(\d{4}-[0-4]\d{5}-\d{2})(?![\d-])"), lambda m: f"EUCTR{m.group(1)}"),
)
_ENDED = frozenset({"completed", "terminated", "ended", "withdrawn", "not_authorised"})


@dataclass(frozen=True, slots=True)
class LinkRules:
    """When two registrations of one trial disagree (config ``[flags]``)."""

    size_gap: float = 0.2  # whole-trial target sizes differing by more than this share
    date_gap: timedelta = timedelta(days=90)  # end dates further apart than this


def family(trial_id: str) -> str:
    """The trial a registration belongs to in its own register: an EUCTR member-state record
    (``EUCTR2017-001400-29-FR``) is one registration of the whole EUCTR trial."""
    if m := re.fullmatch(r"(EUCTR\d{4}-\d{6}-\d{2})(?:-[A-Z0-9]+)?", trial_id):
        return m.group(1)
    return trial_id


def linked_ids(record: Record) -> list[str]:
    """The other registrations a record names (their watchable IDs), sorted."""
    own = family(str(record.get("trial_id") or ""))
    texts: Iterable[object] = record.get("secondary_ids") or []
    found = set()
    for text in texts:
        for pattern, canonical in _FOUND:
            for m in pattern.finditer(str(text)):
                found.add(canonical(m))
    found.discard(own)
    return sorted(found)


def _ended(record: Record) -> bool | None:
    status = record.get("status")
    if status in _ENDED:
        return True
    if status in NOT_ENDED:
        return False
    return None


def _end(record: Record) -> str | None:
    value = record.get("completion_date")
    return value if isinstance(value, str) else None


def disagreements(a: Record, b: Record, rules: LinkRules = LinkRules()) -> list[RedFlag]:
    """What two registrations of one trial say differently about what matters: ended or not,
    the whole-trial target size, the end date."""
    name_a, name_b = a.get("trial_id"), b.get("trial_id")
    flags = []
    ended_a, ended_b = _ended(a), _ended(b)
    if ended_a is not None and ended_b is not None and ended_a != ended_b:
        flags.append(
            f"status: {name_a} says '{plain('recruitment_status', a.get('recruitment_status'))}', "
            f"{name_b} says '{plain('recruitment_status', b.get('recruitment_status'))}'"
        )
    size_a, size_b = a.get("target_sample_size"), b.get("target_sample_size")
    if isinstance(size_a, int) and isinstance(size_b, int) and max(size_a, size_b) > 0:
        gap = abs(size_a - size_b) / max(size_a, size_b)
        if gap > rules.size_gap:
            flags.append(
                f"target sample size: {name_a} says {size_a}, {name_b} says {size_b} "
                f"({gap:.0%} apart)"
            )
    end_a, end_b = as_date(_end(a)), as_date(_end(b))
    if end_a and end_b and abs(end_a - end_b) > rules.date_gap:
        flags.append(
            f"end date: {name_a} says {_end(a)}, {name_b} says {_end(b)} "
            f"({abs(end_a - end_b).days} days apart)"
        )
    return [
        RedFlag("registrations_disagree", f"Registrations of this trial disagree on {flag}")
        for flag in flags
    ]
