"""The watch list: adding, importing and removing trials, and reading the list back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from watcher.core.ids import TrialId, parse_trial_id
from watcher.core.model import CheckOutcome, Watch
from watcher.errors import UnknownTrial
from watcher.results import Added
from watcher.service.base import Progress, ServiceBase
from watcher.sources import source_for

if TYPE_CHECKING:
    from watcher.registrations import Linked
    from watcher.triage import Triage


class Watching(ServiceBase):
    def _watches_for(
        self,
        ids: Sequence[TrialId],
        source: str | None,
        label: str | None,
        tags: Sequence[str],
        every: timedelta | None = None,
    ) -> list[Watch]:
        return [
            Watch(
                tid.value,
                tid.registry,
                source_for(tid.value, tid.registry, source, self.settings).name,
                label,
                tuple(tags),
                every=every,
            )
            for tid in ids
        ]

    def add(
        self,
        ids: Sequence[str],
        *,
        source: str | None = None,
        label: str | None = None,
        tags: Sequence[str] = (),
        every: timedelta | None = None,
    ) -> Added:
        """Watch trials (``every``: on an interval of their own); every ID is checked before
        any is stored."""
        watches = self._watches_for([parse_trial_id(t) for t in ids], source, label, tags, every)
        added = self._store.add_watches(watches, self.clock())
        return Added(tuple(watches), tuple(added))

    def import_file(
        self, path: str, *, source: str | None = None, tags: Sequence[str] = ()
    ) -> Added:
        """Watch every trial ID of a text list, CSV/TSV or ICTRP XML export (all or nothing)."""
        from watcher.importing import read_trial_ids

        watches = self._watches_for(read_trial_ids(path), source, None, tags)
        return Added(tuple(watches), tuple(self._store.add_watches(watches, self.clock())))

    def remove(self, ids: Sequence[str]) -> list[str]:
        """Stop watching trials (all or nothing); their history is kept."""
        trial_ids = [parse_trial_id(text).value for text in ids]
        self._store.remove(trial_ids, self.clock())
        return trial_ids

    def members(self, trial_id: str) -> list[str]:
        """The member-state records watched for a whole EUCTR trial (``EUCTR2021-002179-21``),
        in order; none for any other ID."""
        return [w.trial_id for w in self.member_watches(trial_id)]

    def member_watches(self, trial_id: str) -> list[Watch]:
        """The member-state records of a whole EUCTR trial, as watches (removed ones too)."""
        from watcher.core.links import family

        if family(trial_id) != trial_id or not trial_id.startswith("EUCTR"):
            return []
        return [w for w in self._store.family(trial_id) if family(w.trial_id) == trial_id]

    def _one_record(self, trial: str) -> str:
        """The ID of a trial that has records of its own; a whole EUCTR trial has none (its
        member states have), and is refused naming them."""
        trial_id = parse_trial_id(trial).value
        members = self.members(trial_id)
        if members:
            raise UnknownTrial(
                trial_id,
                f"a whole EUCTR trial has no record of its own: its {len(members)} member "
                f"state(s) have, {', '.join(members)}; name one of them",
            )
        return trial_id

    def whole_trials(self, watches: Sequence[Watch]) -> dict[str, list[str]]:
        """Of these watches, the whole EUCTR trials and the member-state records watched for
        each (one pass over the list)."""
        from watcher.core.links import family

        ids = {w.trial_id for w in watches}
        out: dict[str, list[str]] = {}
        for w in watches:
            whole = family(w.trial_id)
            if whole != w.trial_id and whole in ids:
                out.setdefault(whole, []).append(w.trial_id)
        return {k: sorted(v) for k, v in out.items()}

    def watch(self, trial: str) -> Watch:
        """One watched (or once watched) trial; ``UnknownTrial`` when it never was."""
        return self._store.watch(parse_trial_id(trial).value)

    def watches(self, tag: str | None = None, *, include_removed: bool = False) -> list[Watch]:
        """The watched trials, with titles, linked registrations and unreviewed counts."""
        from watcher.registrations import with_unreviewed

        found = self._store.watches(tag=tag, include_removed=include_removed)
        return with_unreviewed(self._store, found)

    def watched_count(self) -> int:
        """How many trials are watched (member-state records each counted)."""
        return sum(self._store.watched_by_source().values())

    def add_linked(self, trial_ids: Sequence[str]) -> Added:
        """Watch the registrations these trials' records name that nobody watches yet."""
        from watcher.registrations import unwatched_links

        wanted = unwatched_links(self.watches(), trial_ids)
        return self.add(wanted) if wanted else Added((), ())

    def triage(self, tag: str | None = None, source: str | None = None) -> Triage:
        """The watched trials as the list triages them: what needs action first."""
        from watcher.triage import triage

        found = self._store.triage(source)
        return triage(found, self.clock(), self.settings.schedule, self.settings.flags, tag)

    def linked_ids(self, watches: Sequence[Watch]) -> dict[str, list[str]]:
        """Each of these trials' other registrations, both ways: those its record names and
        the watched trials (of the whole list) whose records name it (`list --json`
        ``linked``, as `show` gives them)."""
        from watcher.registrations import linked_index

        known = self._store.watched_links().items()
        index = linked_index([Watch(t, "", "", links=v) for t, v in known])
        return {w.trial_id: index.get(w.trial_id, list(w.links or ())) for w in watches}

    def linked(self, trial_id: str, links: Sequence[str]) -> list[Linked]:
        """The other registrations of a trial, and whether each is watched."""
        from watcher.core.links import family
        from watcher.registrations import linked

        # Only the watches that may be linked: a trial's page must not read every watch.
        known = self._store.watches_naming({family(trial_id), *links}).items()
        return linked(trial_id, links, [Watch(t, "", "", links=v) for t, v in known])

    def baseline(
        self, trial_ids: Sequence[str], progress: Progress | None = None
    ) -> list[CheckOutcome]:
        """Fetch the first version of trials just added."""
        watches = [self._store.watch(tid) for tid in trial_ids]
        return self._checks().check(watches, progress=progress)
