"""Whether a new reading of a record lost too much to be a change of the record: when most of
what the last version had is gone at once, the register has more likely changed its format
(a label renamed, a section moved) than the trial its registration.

Pure: does not interact with any dependencies, only processes data.
"""

from __future__ import annotations

from typing import Any

from watcher.core.model import RECORD_KEYS, Record

# Bookkeeping and what the adapter writes itself: losing these says nothing of the format.
_NOT_CONTENT = {"trial_id", "registry", "source", "url", "status", "last_refreshed"}
# Statuses under which a register may empty a record on purpose.
_EMPTIED_ON_PURPOSE = {"withdrawn"}
# Fewer filled fields than this and a record is too thin to judge.
_AT_LEAST = 6


def _filled(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    return value not in (None, "", [], {})


def lost_fields(old: Record, new: Record, share: float = 0.5) -> tuple[list[str], int] | None:
    """The content fields ``new`` lost, and how many ``old`` had filled, when they are more
    than ``share`` of them (a likely change of the register's format); None otherwise, and
    when the register says the trial was withdrawn."""
    if new.get("status") in _EMPTIED_ON_PURPOSE:
        return None
    keys = [k for k in RECORD_KEYS if k not in _NOT_CONTENT]
    had = [k for k in keys if _filled(old.get(k))]
    lost = [k for k in had if not _filled(new.get(k))]
    if len(had) >= _AT_LEAST and len(lost) > share * len(had):
        return lost, len(had)
    return None
