"""One European trial told once: the member-state records of one EudraCT trial (each is a
registration of its own in EUCTR) make one card in alerts, digests and reports, whose changes
name the member states they apply to ("Target sample size: 600 → 450 (−25%): ES, FR, PL").

Pure: it only rearranges the views ``context`` built. Counts are then of trials, as an office
counts them, not of register records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from watcher.core.links import family
from watcher.core.model import SIGNIFICANCES
from watcher.report.views import ChangeView, TrialView


def trial_count(trial_ids: Iterable[str]) -> int:
    """How many trials these records are (an EUCTR trial and its member-state records: one)."""
    return len({family(tid) for tid in trial_ids})


def one_card_per_trial(trials: Sequence[TrialView]) -> list[TrialView]:
    """``trials`` with the member-state cards of one EUCTR trial merged into one (a trial
    alone in its family, or any other register's, stays as it is)."""
    families: dict[str, list[TrialView]] = {}
    for t in trials:
        families.setdefault(family(t.trial_id), []).append(t)
    out = []
    for whole, members in families.items():
        if len(members) == 1 or any(m.trial_id == whole for m in members):
            out += members
        else:
            out.append(_merged(whole, sorted(members, key=lambda m: m.trial_id)))
    return out


def _merged(whole: str, members: list[TrialView]) -> TrialView:
    """One card for a whole trial: each distinct change once, with the member states (the
    suffix of their record IDs) it was found in."""
    states: dict[tuple[str, str, str, str], list[str]] = {}
    views: dict[tuple[str, str, str, str], ChangeView] = {}
    for m in members:
        state = m.trial_id[len(whole) + 1 :]
        for c in m.changes:
            key = (c.significance, c.kind, c.label, c.summary)
            views.setdefault(key, c)
            if state not in states.setdefault(key, []):
                states[key].append(state)
    changes = [
        ChangeView(
            view.significance,
            view.kind,
            view.label,
            f"{view.summary}: {', '.join(states[key])}",
            view.pieces,
        )
        for key, view in views.items()
    ]
    changes.sort(key=lambda c: SIGNIFICANCES.index(c.significance))
    first = members[0]
    return TrialView(
        trial_id=whole,
        label=first.label,
        url=first.url,
        registry=first.registry,
        tags=tuple(dict.fromkeys(t for m in members for t in m.tags)),
        version_from=None,
        version_to=None,
        changes=tuple(changes),
        counts={s: sum(c.significance == s for c in changes) for s in SIGNIFICANCES},
        flags=tuple(dict.fromkeys(f for m in members for f in m.flags)),
        results_posted=any(m.results_posted for m in members),
        new_links=tuple(dict.fromkeys(link for m in members for link in m.new_links)),
        found_at=max((m.found_at for m in members if m.found_at), default=None),
        page=first.page,
    )
