"""Reading a trial's history: its versions, what changed between two, the review trail, the
change log for filing; and saved payloads read offline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from watcher.clock import midnight
from watcher.core.ids import parse_trial_id
from watcher.core.model import Version
from watcher.errors import InputError
from watcher.results import Comparison, DiffResult, Parsed
from watcher.service.messages import Messaging

# The review trail's column for who reviewed (store.tables); a name, not a note.
MAX_REVIEWER = 200


class Reading(Messaging):
    def version(self, trial: str, number: int | None = None) -> Version:
        return self._store.version(self._one_record(trial), number)

    def history(self, trial: str) -> list[Version]:
        return self._store.history(self._one_record(trial))

    def diff(self, trial: str, from_: int | None = None, to: int | None = None) -> DiffResult:
        """Field changes between two versions (default: the last two), and red flags, where
        the trial's other watched registrations disagree with it among them."""
        from watcher.core.diff import diff_records, since_start
        from watcher.core.flags import red_flags
        from watcher.registrations import flags_for

        trial_id = self._one_record(trial)
        new = self._store.version(trial_id, to)
        old = self._store.version(trial_id, from_ if from_ is not None else max(new.version - 1, 1))
        rules = self.settings.diff
        versions = [v for v in self._store.history(trial_id) if v.version <= new.version]
        first = versions[0]
        today = self.clock().date()
        return DiffResult(
            old,
            new,
            first,
            tuple(diff_records(old.record, new.record, rules)),
            tuple(red_flags([v.record for v in versions], today, self.settings.flags))
            + tuple(flags_for(self._store, new.record, self.watches(), self.settings.links)),
            tuple(since_start(first.record, new.record, rules)) if old.version > 1 else (),
        )

    def review(
        self,
        ids: Sequence[str],
        by: str,
        note: str | None = None,
        *,
        to: int | None = None,
        seen: Mapping[str, int] | None = None,
    ) -> int:
        """Mark the changes of these trials that need a review as reviewed (by, now, note);
        how many versions. Only what the reviewer saw: up to version ``to`` (one trial), or
        each trial's version in ``seen`` (what a page showed); a version stored after it
        stays unreviewed. A whole EUCTR trial's ID reviews its member states."""
        trial_ids = [parse_trial_id(text).value for text in ids]
        if len(by) > MAX_REVIEWER:
            raise InputError("the reviewer", f"a name of at most {MAX_REVIEWER} characters")
        for tid in trial_ids:
            self._store.watch(tid)  # an unknown ID is an error before anything is marked
        expanded = [m for tid in trial_ids for m in (self.members(tid) or [tid])]
        if to is not None:
            if len(expanded) != 1:
                raise InputError("--to", "a version number is of one trial's records alone")
            seen = {expanded[0]: to}
        elif seen is not None:
            seen = {parse_trial_id(tid).value: n for tid, n in seen.items()}
        return self._store.review(list(dict.fromkeys(expanded)), by, self.clock(), note, seen)

    def export(
        self,
        trials: Sequence[str] = (),
        fmt: str = "csv",
        *,
        since: date | None = None,
        tag: str | None = None,
    ) -> str:
        """The change log for filing, as CSV or a printable HTML page: of these trials (all
        watched ones when none is given), those with ``tag``, the changes found since
        ``since``; each row names its record (a whole EUCTR trial: its member states')."""
        from watcher.report.export import change_rows, to_csv, to_html

        chosen = [self.watch(t) for t in trials] if trials else self._store.watches(tag=tag)
        if trials and tag is not None:
            chosen = [w for w in chosen if tag in w.tags]
        records = {r.trial_id: r for w in chosen for r in (self.member_watches(w.trial_id) or [w])}
        start = midnight(since) if since else None
        rows = [
            row
            for w in records.values()
            for row in change_rows(self._store.history(w.trial_id), self.settings.diff, w.title)
            if start is None or row.found_at >= start
        ]
        if fmt == "csv":
            return to_csv(rows, self.settings.zone)
        if len(chosen) == 1:
            watch = chosen[0]
            name = watch.title if watch.title != watch.trial_id else None
            heading, url = watch.trial_id, self.url_for(watch)
        else:
            heading, name, url = f"{len(chosen)} trials", tag and f"tagged {tag}", None
        return to_html(rows, heading, name, url, self.settings, self.clock())

    def parse_file(self, path: str, source: str) -> Parsed:
        """Normalize a saved register payload; no database. A value the parser does not
        understand is kept as its text and named in ``warnings``."""
        from watcher.offline import parse_file

        return parse_file(self.settings, path, source)

    def compare_files(self, old: str, new: str, source: str) -> Comparison:
        """Two saved payloads of one source, record by record; no database."""
        from watcher.offline import compare_files

        return compare_files(self.settings, old, new, source)
