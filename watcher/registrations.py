"""One trial, several registrations: the other registrations of each watched trial, whether
they are watched too, and where watched registrations of one trial disagree.

Two registrations are of one trial when one names the other among its IDs, or both name the
same one (docs/contract.md §3); what each record names is kept on its watch (``Watch.links``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from watcher.core.flags import RedFlag
from watcher.core.ids import parse_trial_id
from watcher.core.links import LinkRules, disagreements, family, linked_ids
from watcher.core.model import Record, Watch
from watcher.errors import InvalidTrialId, UnknownTrial
from watcher.store import Store


@dataclass(frozen=True, slots=True)
class Linked:
    """Another registration of a trial, and whether watcher watches it."""

    trial_id: str
    registry: str
    watched: bool

    def to_json(self) -> dict[str, object]:
        return {"trial_id": self.trial_id, "registry": self.registry, "watched": self.watched}


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Two watched registrations of one trial that say different things."""

    trial_id: str
    other_id: str
    flags: tuple[RedFlag, ...]


def with_unreviewed(store: Store, watches: Sequence[Watch]) -> list[Watch]:
    """The watches with how many of their versions nobody reviewed yet. Reads only: what each
    record names and is called is kept on its watch when a version is stored (and was read
    once for older databases by migration 0009)."""
    unreviewed = store.unreviewed()
    return [replace(w, unreviewed=unreviewed.get(w.trial_id, 0)) for w in watches]


def _registry(trial_id: str) -> str:
    try:
        return parse_trial_id(trial_id).registry
    except InvalidTrialId:
        return "unknown"


def _watched_family(watches: Sequence[Watch]) -> dict[str, list[Watch]]:
    """Watched trials by the trial they register in their own register (an EUCTR member
    state's record under its whole trial)."""
    out: dict[str, list[Watch]] = {}
    for w in watches:
        out.setdefault(family(w.trial_id), []).append(w)
    return out


def linked(trial_id: str, links: Sequence[str], watches: Sequence[Watch]) -> list[Linked]:
    """The other registrations of a trial (one whose record names ``links``): those its
    record names, and the watched trials that name it or name one of the same registrations;
    each with whether it is watched."""
    me = Watch(trial_id, "", "", links=tuple(links))
    found = linked_index([*(w for w in watches if w.trial_id != trial_id), me])[trial_id]
    by_family = _watched_family(watches)
    return [Linked(t, _registry(t), t in by_family) for t in found]


def linked_index(watches: Sequence[Watch]) -> dict[str, list[str]]:
    """Each watched trial's other registrations (those its record names, and the watched
    trials that name it or one of the same registrations), all at once: one pass to index
    what each names, one to read the index, so that a list of 10,000 trials costs twice
    10,000 steps, not 10,000 times 10,000."""
    named: dict[str, set[str]] = {}  # a registration -> the families that name it or are it
    for w in watches:
        own = family(w.trial_id)
        for key in {own, *(w.links or ())}:
            named.setdefault(key, set()).add(own)
    out: dict[str, list[str]] = {}
    for w in watches:
        own = family(w.trial_id)
        found = set(w.links or ())
        for key in {own, *(w.links or ())}:
            found |= named.get(key, set())
        found.discard(own)
        out[w.trial_id] = sorted(found)
    return out


def unwatched_links(watches: Sequence[Watch], trial_ids: Sequence[str]) -> list[str]:
    """The other registrations of these trials that nobody watches yet, in order, once."""
    index, by_family = linked_index(watches), _watched_family(watches)
    wanted = [
        other
        for w in watches
        if w.trial_id in trial_ids
        for other in index[w.trial_id]
        if other not in by_family
    ]
    return list(dict.fromkeys(wanted))


def _latest(store: Store, trial_id: str) -> Record | None:
    try:
        return store.version(trial_id).record
    except UnknownTrial:
        return None


def flags_for(
    store: Store, record: Record, watches: Sequence[Watch], rules: LinkRules
) -> list[RedFlag]:
    """Where a trial's record disagrees with its other watched registrations."""
    trial_id = str(record.get("trial_id"))
    by_family = _watched_family(watches)
    out: list[RedFlag] = []
    for other in linked(trial_id, linked_ids(record), watches):
        for w in by_family.get(other.trial_id, []):
            if w.versions and (theirs := _latest(store, w.trial_id)) is not None:
                out += disagreements(record, theirs, rules)
    return out


def all_disagreements(
    store: Store, watches: Sequence[Watch], rules: LinkRules
) -> list[Disagreement]:
    """Every pair of watched registrations of one trial that disagree, each pair once."""
    index, by_family = linked_index(watches), _watched_family(watches)
    out: list[Disagreement] = []
    seen: set[frozenset[str]] = set()
    for w in watches:
        others = [o for t in index[w.trial_id] for o in by_family.get(t, [])]
        for other in others:
            pair = frozenset((w.trial_id, other.trial_id))
            if pair in seen or not (w.versions and other.versions):
                continue
            seen.add(pair)
            mine, theirs = _latest(store, w.trial_id), _latest(store, other.trial_id)
            flags = disagreements(mine, theirs, rules) if mine and theirs else []
            if flags:
                out.append(Disagreement(w.trial_id, other.trial_id, tuple(flags)))
    return out
