"""Changes between two normalized records, labelled and ranked for a trials office.

Pure: does not interact with any dependencies, only processes data. Fields are compared by
their kind (``fields.FIELDS``): sets ignore order, prose items and outcomes are matched by
similarity so that a reordered list is no change and a reworded outcome is one "reworded"
change, an outcome moved between primary and secondary is reported as a move, and long texts
come with a word-level diff. Values with no known shape fall back to DeepDiff, given only the
fields that differ (it costs ~15 ms on a whole record even when nothing changed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from watcher.core.display import plain, shown
from watcher.core.fields import FIELDS, DiffRules, FieldInfo, field_info
from watcher.core.matching import OUTCOME_FIELDS, item_changes, outcome_changes
from watcher.core.model import RECORD_KEYS, SIGNIFICANCES, ChangeKind, FieldChange, Record
from watcher.core.normalize import as_date
from watcher.core.textdiff import counts, word_diff, words

_ISO_DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")
# A text this long, or with a line break, is shown as a word-level diff.
_LONG_TEXT_WORDS = 12


DEFAULT_RULES = DiffRules()


def diff_records(old: Record, new: Record, rules: DiffRules = DEFAULT_RULES) -> list[FieldChange]:
    """Every change from ``old`` to ``new``, in the order a person reads a record."""
    changes: list[FieldChange] = []
    changed: set[str] = set()
    keys = [*RECORD_KEYS, *sorted((set(old) | set(new)) - set(RECORD_KEYS))]
    for key in keys:
        if key in rules.ignore or _same(old.get(key), new.get(key)):
            continue
        if key in OUTCOME_FIELDS:
            if key == "secondary_outcomes" and "primary_outcomes" in changed:
                continue  # compared together with the primary outcomes
            found = outcome_changes(old, new, rules.similarity)
        else:
            found = _compare(key, field_info(key), old.get(key), new.get(key), rules)
        if found:
            changed.add(key)
            changes.extend(found)
    changes = _enrolment_reported(old, new, changes)
    out = []
    why = new.get("why_stopped")
    for change in changes:
        if change.field == "recruitment_status" and isinstance(why, str) and why:
            change = replace(change, summary=f"{change.summary}; the register's reason: {why}")
        info = FIELDS.get(change.field)
        if info is not None and info.derived_from in changed:
            continue  # "status" follows "recruitment_status": one edit, one line
        if change.field.split(".")[0] in rules.ignore:
            continue
        override = rules.significance.get(change.field) or rules.significance.get(
            change.field.split(".")[0]
        )
        out.append(replace(change, significance=override) if override else change)
    return out


def _enrolment_reported(old: Record, new: Record, changes: list[FieldChange]) -> list[FieldChange]:
    """A register that gives the number enrolled where it gave the plan (CT.gov at a trial's
    end) reports its enrolment; it has not cut its target: one change, in those words."""
    plan, actual = old.get("target_sample_size"), new.get("actual_enrolment")
    if not (
        isinstance(plan, int)
        and isinstance(actual, int)
        and new.get("target_sample_size") is None
        and old.get("actual_enrolment") is None
    ):
        return changes
    share = f" ({round(100 * actual / plan)} %)" if plan > 0 else ""
    reported = FieldChange(
        "actual_enrolment",
        FIELDS["actual_enrolment"].label,
        None,
        actual,
        "major",
        "added",
        f"Actual enrolment reported: {actual} of {plan} planned{share}",
    )
    folded = ("target_sample_size", "target_sample_size_type")
    return [
        reported if c.field == "actual_enrolment" else c for c in changes if c.field not in folded
    ]


def _same(a: Any, b: Any) -> bool:
    """Equal, or texts different only in whitespace (reflowed, indented). Items of lists are
    normalized by the adapters, and compared by their words where they are prose."""
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        return a.split() == b.split()
    return False


# -- one field --------------------------------------------------------------------------------


def _compare(key: str, info: FieldInfo, old: Any, new: Any, rules: DiffRules) -> list[FieldChange]:
    if info.compare == "object" and isinstance(old, dict) and isinstance(new, dict):
        return _object(key, old, new)
    if info.compare == "set" and isinstance(old, list) and isinstance(new, list):
        return _set(key, info, old, new)
    if info.compare == "items" and isinstance(old, list) and isinstance(new, list):
        return item_changes(key, info, old, new, rules.similarity)
    if info.compare == "keyed" and isinstance(old, list) and isinstance(new, list):
        return _keyed(key, info, old, new)
    if isinstance(old, dict | list) and isinstance(new, dict | list):
        return _structured(key, info, old, new)
    if info.compare == "text" and isinstance(old, str) and isinstance(new, str):
        return [_text(key, info, old, new)]
    return [_value(key, info, old, new)]


def _kind(old: Any, new: Any) -> ChangeKind:
    return "added" if old in (None, [], {}) else "removed" if new in (None, [], {}) else "changed"


def _value(key: str, info: FieldInfo, old: Any, new: Any) -> FieldChange:
    summary = f"{info.label}: {shown(plain(key, old), 80)} → {shown(plain(key, new), 80)}"
    if isinstance(old, int) and isinstance(new, int) and not isinstance(old, bool) and old:
        share = (new - old) / old
        sign = "+" if share > 0 else "−"
        summary += f" ({sign}{abs(share):.0%})"
    elif (
        isinstance(old, str)
        and isinstance(new, str)
        and _ISO_DATE.fullmatch(old)
        and (_ISO_DATE.fullmatch(new))
    ):
        summary = f"{info.label} moved {_date_shift(old, new)} ({old} → {new})"
    return FieldChange(key, info.label, old, new, info.significance, _kind(old, new), summary)


def _date_shift(old: str, new: str) -> str:
    a, b = as_date(old), as_date(new)
    if a is None or b is None:
        return "to another date"
    days = (b - a).days
    way = "later" if days > 0 else "earlier"
    days = abs(days)
    months = round(days / 30.44)
    if months >= 2:
        return f"{months} months {way}"
    return f"{days} day{'s' if days != 1 else ''} {way}"


def _text(key: str, info: FieldInfo, old: str, new: str) -> FieldChange:
    if (
        len(words(old)) <= _LONG_TEXT_WORDS
        and len(words(new)) <= _LONG_TEXT_WORDS
        and ("\n" not in old + new)
    ):
        return _value(key, info, old, new)
    pieces = word_diff(old, new)
    added, removed = counts(pieces)
    return FieldChange(
        key,
        info.label,
        old,
        new,
        info.significance,
        "changed",
        f"{info.label} changed (+{_n(added, 'word')}, −{_n(removed, 'word')})",
        tuple(p.to_json() for p in pieces),
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# What a results event means to the office that submitted them.
_RESULTS_EVENTS = {
    "submitted": "Results submitted to the register",
    "returned": "Results returned with comments by the register's quality control",
    "withdrawn": "Results submission withdrawn",
    "posted": "Results posted",
}
# Said by the events themselves when they come with them.
_SAID_BY_EVENTS = frozenset({"available", "date_posted", "date_submitted"})


def _results_events(old: list[Any], new: list[Any]) -> list[FieldChange]:
    """Each results event that is new, in words (events are only ever appended; one that
    disappeared is said too)."""
    out = []
    info = field_info("results.events")
    gone: tuple[ChangeKind, list[Any]] = ("removed", [e for e in old if e not in new])
    came: tuple[ChangeKind, list[Any]] = ("added", [e for e in new if e not in old])
    for kind, items in (gone, came):
        for event in items:
            if not isinstance(event, dict):
                continue
            words = _RESULTS_EVENTS.get(str(event.get("type")), f"Results: {event.get('type')}")
            when = f" on {event['date']}" if event.get("date") else " (no date given)"
            summary = f"{words}{when}" if kind == "added" else f"No longer listed: {words}{when}"
            out.append(
                FieldChange(
                    "results.events",
                    info.label,
                    event if kind == "removed" else None,
                    event if kind == "added" else None,
                    "major",
                    kind,
                    summary,
                )
            )
    return out


def _object(key: str, old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    out = []
    events = key == "results" and old.get("events") != new.get("events")
    for sub in [*old, *(k for k in new if k not in old)]:
        if events and sub == "events":
            out += _results_events(old.get("events") or [], new.get("events") or [])
            continue
        if events and sub in _SAID_BY_EVENTS:
            continue
        if old.get(sub) != new.get(sub):
            sub_info = field_info(f"{key}.{sub}")
            out.append(_value(f"{key}.{sub}", sub_info, old.get(sub), new.get(sub)))
    return out


def _item_key(item: Any) -> str:
    return (
        item if isinstance(item, str) else orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()
    )


def _set(key: str, info: FieldInfo, old: list[Any], new: list[Any]) -> list[FieldChange]:
    before = {_item_key(i): i for i in old}
    after = {_item_key(i): i for i in new}
    out = [
        FieldChange(
            key,
            info.label,
            before[k],
            None,
            info.significance,
            "removed",
            f"{info.label}: removed {shown(before[k], 80)}",
        )
        for k in before
        if k not in after
    ]
    out += [
        FieldChange(
            key,
            info.label,
            None,
            after[k],
            info.significance,
            "added",
            f"{info.label}: added {shown(after[k], 80)}",
        )
        for k in after
        if k not in before
    ]
    return out


def _keyed(key: str, info: FieldInfo, old: list[Any], new: list[Any]) -> list[FieldChange]:
    def identity(item: Any) -> str:
        if not isinstance(item, dict):
            return _item_key(item)
        return (
            _item_key([item.get(k) for k in info.identity])
            if any(item.get(k) for k in info.identity)
            else _item_key(item)
        )

    before = {identity(i): i for i in old}
    after = {identity(i): i for i in new}
    out = []
    for k, item in before.items():
        if k not in after:
            out.append(
                FieldChange(
                    key,
                    info.label,
                    item,
                    None,
                    info.significance,
                    "removed",
                    f"{info.label}: removed {_name(item, info)}",
                )
            )
        elif after[k] != item:
            parts = [
                f"{sub} {shown(_coded(sub, item.get(sub)), 40)} → "
                f"{shown(_coded(sub, after[k].get(sub)), 40)}"
                for sub in sorted(set(item) | set(after[k]))
                if item.get(sub) != after[k].get(sub)
            ]
            out.append(
                FieldChange(
                    key,
                    info.label,
                    item,
                    after[k],
                    info.significance,
                    "changed",
                    f"{info.label}: {_name(item, info)}: " + "; ".join(parts),
                )
            )
    for k, item in after.items():
        if k not in before:
            out.append(
                FieldChange(
                    key,
                    info.label,
                    None,
                    item,
                    info.significance,
                    "added",
                    f"{info.label}: added {_name(item, info)}",
                )
            )
    return out


def _coded(sub: str, value: Any) -> Any:
    """A site's or member state's status in plain words, as the record's own."""
    return plain("recruitment_status", value) if sub == "status" else value


def _name(item: Any, info: FieldInfo) -> str:
    if isinstance(item, dict):
        named = [str(item[k]) for k in info.identity if item.get(k)]
        if named:
            return ", ".join(named)
    return shown(item, 80)


def _structured(key: str, info: FieldInfo, old: Any, new: Any) -> list[FieldChange]:
    """A value of no known shape (an adapter's own field): DeepDiff, order ignored."""
    from deepdiff import DeepDiff  # ~60 ms to import, and most checks never get here

    tree = DeepDiff(old, new, ignore_order=True, view="tree")
    out = []
    for report, levels in tree.items():
        for level in levels:
            path = level.path(root=key).replace("['", ".").replace("']", "")
            t1 = None if "added" in report else level.t1
            t2 = None if "removed" in report else level.t2
            out.append(
                FieldChange(
                    key,
                    info.label,
                    t1,
                    t2,
                    info.significance,
                    _kind(t1, t2),
                    f"{info.label}: {path.removeprefix(key).lstrip('.') or key}"
                    f" {shown(t1, 40)} → {shown(t2, 40)}",
                )
            )
    return out


def since_start(
    first: Record, latest: Record, rules: DiffRules = DEFAULT_RULES
) -> list[FieldChange]:
    """The major changes from the first version seen to the latest: what a trial changed since
    we started watching, with changes made and reverted in between cancelling out."""
    return [c for c in diff_records(first, latest, rules) if c.significance == "major"]


def summarize(changes: Sequence[FieldChange]) -> dict[str, int]:
    """How many changes of each significance."""
    out: dict[str, int] = dict.fromkeys(SIGNIFICANCES, 0)
    for change in changes:
        out[change.significance] += 1
    return out
