"""A version's changes in one line: what the list of watched trials shows on each row, and the
significance it is triaged by (its most significant change).

Pure: does not interact with any dependencies, only processes data. Stored beside each version
when it is stored, so that a page of the list reads no record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from watcher.core.display import shown
from watcher.core.model import FieldChange, Significance, by_significance

# A row's line; the trial page and the alert say the rest.
LIMIT = 200


@dataclass(frozen=True, slots=True)
class Headline:
    significance: Significance
    summary: str


def headline(changes: Sequence[FieldChange]) -> Headline | None:
    """The most significant change in words, and how many others came with it; None for a
    version without changes (a first version, or a new start after a move of adapter)."""
    if not changes:
        return None
    top = by_significance(changes)[0]
    text = shown(top.summary or top.label, LIMIT)
    others = len(changes) - 1
    if others:
        text += f" (and {others} more change{'s' if others > 1 else ''})"
    return Headline(top.significance, text)
