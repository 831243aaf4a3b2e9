"""The list's triage: which watched trials need the office's action, why, and in what order;
read from what each watch keeps of its latest version (core.headline, core.flags.fold), so that
triaging every watched trial reads no record.

A trial needs action when a major change waits for its review, when its record raises a red
flag, when its checks fail, or when it has not been checked successfully for two intervals.
A whole EUCTR trial is one row, told by its member states: one change they all repeat, or one
flag they all raise, is told once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from watcher.config.settings import ScheduleSettings
from watcher.core.display import plain
from watcher.core.flags import FlagRules, RedFlag, flagged, flags_of
from watcher.core.links import family
from watcher.core.model import Watch

Show = Literal["unreviewed", "major", "flagged", "failing", "stale"]
SHOWS: tuple[Show, ...] = ("major", "flagged", "failing", "stale", "unreviewed")


@dataclass(frozen=True, slots=True)
class Latest:
    """A trial's latest change that matters: when, in words, and how significant."""

    at: datetime
    summary: str
    significance: str
    member: str | None = None  # the member state whose record changed (a whole EUCTR trial)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the list: a trial, or a whole EUCTR trial with its member states."""

    watch: Watch
    members: tuple[Watch, ...]
    title: str
    latest: Latest | None
    unreviewed: int
    major: int
    flagged: bool
    failing: bool
    stale: bool
    error: str | None
    today: date
    rules: FlagRules

    def shows(self, what: Show) -> bool:
        """Whether the row is among those ``?show=`` asks for."""
        if what == "unreviewed":
            return self.unreviewed > 0
        if what == "major":
            return self.major > 0
        if what == "flagged":
            return self.flagged
        return self.failing if what == "failing" else self.stale

    @property
    def flags(self) -> tuple[RedFlag, ...]:
        """Its red flags, each once (member states raising one flag: told once); read, as
        ``status`` is, for the rows shown alone."""
        flags: dict[str, RedFlag] = {}
        for m in self.members or [self.watch]:
            for f in flags_of(m.flag_facts, self.today, self.rules):
                flags.setdefault(f.code, f)
        return tuple(flags.values())

    @property
    def status(self) -> str:
        """Read for the rows shown alone (a page of them): the list triages every trial."""
        return statuses(self.members or [self.watch])

    @property
    def needs_action(self) -> bool:
        return self.major > 0 or self.flagged or self.failing or self.stale

    def order(self) -> tuple[bool, bool, bool, bool, bool, float, str]:
        """What needs action first (a major change to review, then failing checks, stale
        checks, red flags, other changes to review), then the latest change first."""
        at = -self.latest.at.timestamp() if self.latest else 0.0
        return (
            not self.major,
            not self.failing,
            not self.stale,
            not self.flagged,
            not self.unreviewed,
            at,
            self.watch.trial_id,
        )


@dataclass(frozen=True, slots=True)
class Triage:
    rows: list[Row]  # in triage order
    counts: dict[Show, int]  # how many rows each ``?show=`` finds

    @property
    def needs_action(self) -> int:
        return sum(1 for r in self.rows if r.needs_action)


def triage(
    watches: Sequence[Watch],
    now: datetime,
    schedule: ScheduleSettings,
    rules: FlagRules,
    tag: str | None = None,
) -> Triage:
    """The rows of these watched trials (``Store.triage``: active, their unreviewed versions
    counted), the tag's alone when given, in triage order."""
    ids = {w.trial_id for w in watches}
    members: dict[str, list[Watch]] = {}
    for w in watches:
        whole = family(w.trial_id)
        if whole != w.trial_id and whole in ids:
            members.setdefault(whole, []).append(w)
    rows = [
        _row(w, sorted(members.get(w.trial_id, ()), key=lambda m: m.trial_id), now, schedule, rules)
        for w in watches
        if not (family(w.trial_id) in members and family(w.trial_id) != w.trial_id)
        and (tag is None or tag in w.tags)
    ]
    rows.sort(key=Row.order)
    counts: dict[Show, int] = {s: sum(1 for r in rows if r.shows(s)) for s in SHOWS}
    return Triage(rows, counts)


def _row(
    w: Watch, members: list[Watch], now: datetime, schedule: ScheduleSettings, rules: FlagRules
) -> Row:
    records = members or [w]
    today = now.date()
    return Row(
        watch=w,
        members=tuple(members),
        title=w.label or next((m.record_title for m in [w, *records] if m.record_title), ""),
        latest=_latest(records, bool(members)),
        unreviewed=sum(m.unreviewed for m in records),
        major=sum(m.unreviewed_major for m in records),
        flagged=any(flagged(m.flag_facts, today, rules) for m in records),
        failing=bool(failing := [m for m in records if schedule.failing(m)]),
        stale=any(schedule.stale(m, now) for m in records),
        error=next((m.last_error for m in failing if m.last_error), None),
        today=today,
        rules=rules,
    )


def _latest(records: Sequence[Watch], whole: bool) -> Latest | None:
    """The newest change that matters among a trial's records; of a whole EUCTR trial, with
    the member states that tell it (one change they all repeat is one line)."""
    said = [(m.latest_change_at, m.latest_change, m) for m in records if m.latest_change_at]
    if not said:
        return None
    at, text, newest = max(said, key=lambda s: s[0])
    if not whole or not text:
        return Latest(at, text or "", newest.latest_change_significance or "")
    telling = [m.trial_id.rsplit("-", 1)[1] for _at, t, m in said if t == text]
    who = f"{len(telling)} member states" if len(telling) > 3 else ", ".join(telling)
    return Latest(at, text, newest.latest_change_significance or "", who)


def statuses(records: Sequence[Watch]) -> str:
    """The recruitment status of a trial's records in words, each once, the most held first
    ("Ongoing (5), Completed (1)"; one record: its status alone)."""
    said = Counter(plain("recruitment_status", w.record_status) or "" for w in records)
    said.pop("", None)
    if len(records) == 1:
        return next(iter(said), "")
    return ", ".join(f"{status} ({n})" for status, n in said.most_common())
