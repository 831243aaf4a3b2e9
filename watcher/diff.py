"""Field-level differences between two normalized records.

Pure: does not interact with any dependencies, only processes data. Records are compared field
by field in the contract's order; an object field (``results``) is compared key by key so that
"Results: date posted" says which part changed.
"""

from __future__ import annotations

from watcher.fields import FIELDS, field_info
from watcher.model import RECORD_KEYS, FieldChange, Record


def _ordered_keys(old: Record, new: Record) -> list[str]:
    extra = sorted((set(old) | set(new)) - set(RECORD_KEYS))
    return [*RECORD_KEYS, *extra]


def _change(key: str, old: object, new: object) -> FieldChange:
    info = field_info(key)
    return FieldChange(key, info.label, old, new, info.significance)


def diff_records(old: Record, new: Record) -> list[FieldChange]:
    """Every field whose value differs, in the order a person reads a record."""
    changes: list[FieldChange] = []
    changed: set[str] = set()
    for key in _ordered_keys(old, new):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        changed.add(key)
        if isinstance(before, dict) and isinstance(after, dict):
            for sub in sorted(set(before) | set(after), key=lambda s: (s not in before, s)):
                if before.get(sub) != after.get(sub):
                    changes.append(_change(f"{key}.{sub}", before.get(sub), after.get(sub)))
        else:
            changes.append(_change(key, before, after))
    return [
        c
        for c in changes
        if not (
            c.field in FIELDS
            and FIELDS[c.field].derived_from is not None
            and FIELDS[c.field].derived_from in changed
        )
    ]
