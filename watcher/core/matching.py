"""Lists whose items are prose (outcomes, conditions, interventions), compared by which items
are the same item: identical first, then the most alike by their words.

Pure: does not interact with any dependencies, only processes data. A reordered list is no
change, a reworded item is one "reworded" change with its word diff, and an outcome moved
between the primary and secondary lists is one "moved" change, a major one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from watcher.core.display import shown
from watcher.core.fields import FIELDS, FieldInfo
from watcher.core.model import FieldChange, Record
from watcher.core.outcomes import WORDING, aspects, said
from watcher.core.textdiff import similarity, word_diff

OUTCOME_FIELDS = ("primary_outcomes", "secondary_outcomes")


@dataclass(frozen=True, slots=True)
class _Item:
    field: str
    index: int  # 1-based, in its list
    text: str

    @property
    def words(self) -> str:
        """The text with whitespace folded: what makes two items the same item."""
        return " ".join(self.text.split())


def _match(
    old: Sequence[_Item], new: Sequence[_Item], threshold: float
) -> tuple[list[tuple[_Item, _Item]], list[_Item], list[_Item]]:
    """Pairs of the same item (identical first, then the most alike, same list preferred);
    the old items left (removed) and the new ones left (added)."""
    pairs: list[tuple[_Item, _Item]] = []
    left_old, left_new = list(old), list(new)
    for same_field_only in (True, False):
        for n in list(left_new):
            o = next(
                (
                    o
                    for o in left_old
                    if o.words == n.words and (o.field == n.field or not same_field_only)
                ),
                None,
            )
            if o is not None:
                pairs.append((o, n))
                left_old.remove(o)
                left_new.remove(n)
    scored = sorted(
        (
            (similarity(o.text, n.text) + (0.01 if o.field == n.field else 0.0), i, j)
            for i, o in enumerate(left_old)
            for j, n in enumerate(left_new)
        ),
        reverse=True,
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    for score, i, j in scored:
        if score < threshold:
            break
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append((left_old[i], left_new[j]))
    return (
        pairs,
        [o for i, o in enumerate(left_old) if i not in used_old],
        [n for j, n in enumerate(left_new) if j not in used_new],
    )


def _first_line(text: str) -> str:
    return shown(text.split("\n", 1)[0], 70)


def _reworded(key: str, info: FieldInfo, o: _Item, n: _Item) -> FieldChange:
    pieces = tuple(p.to_json() for p in word_diff(o.text, n.text))
    if key not in OUTCOME_FIELDS:
        summary = f"{info.item} {n.index} reworded: {_first_line(n.text)}"
        return FieldChange(
            key, info.label, o.text, n.text, info.significance, "reworded", summary, pieces
        )
    # An outcome: what changed, as meta-research raters say it; the same outcome written
    # otherwise is a rewording, never a major change (watcher/core/outcomes.py).
    found = aspects(o.text, n.text)
    summary = said(info.item, n.index, found, o.text, n.text)
    if "measure" in found:
        summary += f": {_first_line(n.text)}"
    significance = "minor" if found == (WORDING,) else info.significance
    return FieldChange(
        key, info.label, o.text, n.text, significance, "reworded", summary, pieces, found
    )


def _leftovers(
    key: str, info: FieldInfo, gone: list[_Item], came: list[_Item]
) -> list[FieldChange]:
    outcome = key in OUTCOME_FIELDS
    out = [
        FieldChange(
            key,
            info.label,
            o.text,
            None,
            info.significance,
            "removed",
            f"{info.item} removed: {_first_line(o.text)}",
            aspects=("omitted",) if outcome else (),
        )
        for o in gone
    ]
    out += [
        FieldChange(
            key,
            info.label,
            None,
            n.text,
            info.significance,
            "added",
            f"{info.item} {n.index} added: {_first_line(n.text)}",
            aspects=("new",) if outcome else (),
        )
        for n in came
    ]
    return out


def item_changes(
    key: str, info: FieldInfo, old: list[Any], new: list[Any], threshold: float
) -> list[FieldChange]:
    """The changes of one list of prose items."""
    pairs, gone, came = _match(
        [_Item(key, i, str(t)) for i, t in enumerate(old, 1)],
        [_Item(key, i, str(t)) for i, t in enumerate(new, 1)],
        threshold,
    )
    out = [_reworded(key, info, o, n) for o, n in pairs if o.words != n.words]
    return out + _leftovers(key, info, gone, came)


def outcome_changes(old: Record, new: Record, threshold: float) -> list[FieldChange]:
    """The changes of the primary and secondary outcomes, compared as one list."""

    def items(record: Record) -> list[_Item]:
        return [
            _Item(f, i, str(t))
            for f in OUTCOME_FIELDS
            for i, t in enumerate(record.get(f) or [], 1)
        ]

    pairs, gone, came = _match(items(old), items(new), threshold)
    out: list[FieldChange] = []
    for o, n in sorted(pairs, key=lambda p: (OUTCOME_FIELDS.index(p[1].field), p[1].index)):
        info = FIELDS[n.field]
        if o.field != n.field:
            primary = FIELDS["primary_outcomes"]
            where = "secondary" if n.field == "secondary_outcomes" else "primary"
            pieces = word_diff(o.text, n.text) if o.words != n.words else []
            out.append(
                FieldChange(
                    "primary_outcomes",
                    primary.label,
                    o.text,
                    n.text,
                    "major",
                    "moved",
                    f"{FIELDS[o.field].item} {o.index} moved to the {where} outcomes"
                    f"{' and reworded' if pieces else ''}: {_first_line(n.text)}",
                    tuple(p.to_json() for p in pieces),
                    ("moved",),
                )
            )
        elif o.words != n.words:
            out.append(_reworded(n.field, info, o, n))
    for f in OUTCOME_FIELDS:
        out += _leftovers(
            f, FIELDS[f], [o for o in gone if o.field == f], [n for n in came if n.field == f]
        )
    return out
