"""Changes as the templates show them, bounded: one change of a long list (100,000 sites
added at once) shows its first items and how many more, so that an alert stays a message an
SMTP server takes and a page stays a page. The export and `diff --json` keep every item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from watcher.core.display import plain, shown
from watcher.core.model import FieldChange, by_significance
from watcher.report.views import ChangeView

# Items of one list field shown per card or page: a real change of a list (countries,
# outcomes, sites) is rarely longer; a longer one is read in the export.
SHOWN_PER_FIELD = 25


def change_view(c: FieldChange) -> ChangeView:
    """A change as the templates show it."""
    return ChangeView(
        c.significance,
        c.kind,
        c.label,
        c.summary or c.label,
        c.detail,
        shown(plain(c.field, c.old)),
        shown(plain(c.field, c.new)),
    )


def change_views(changes: Iterable[FieldChange], *, ranked: bool = True) -> tuple[ChangeView, ...]:
    """The changes to show, major first (unless ``ranked`` is False), at most
    ``SHOWN_PER_FIELD`` of one field, then one line saying how many more there are."""
    ordered = by_significance(changes) if ranked else list(changes)
    per_field = Counter(c.field for c in ordered)
    shown: Counter[str] = Counter()
    views: list[ChangeView] = []
    for c in ordered:
        shown[c.field] += 1
        if shown[c.field] <= SHOWN_PER_FIELD:
            views.append(change_view(c))
        elif shown[c.field] == SHOWN_PER_FIELD + 1:
            more = per_field[c.field] - SHOWN_PER_FIELD
            views.append(
                ChangeView(
                    c.significance,
                    "more",
                    c.label,
                    f"{c.label}: and {more:,} more changes (every one is in the export)",
                    (),
                )
            )
    return tuple(views)
