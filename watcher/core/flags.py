"""Red flags: what the versions of a trial say that no single change says.

Pure: does not interact with any dependencies, only processes data.

- the enrolment start moved after the registration date (a retrospective registration made to
  look prospective);
- the target sample size (the plan, never the number enrolled) cut by more than a share of
  its first value;
- a trial stopped early with fewer participants than planned;
- a status still "recruiting" (or another not-ended status) long after the completion date;
- no results a year (configurable) after the primary completion (else the end of the trial).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from watcher.core.display import plain
from watcher.core.model import Record
from watcher.core.normalize import as_date

NOT_ENDED = frozenset(
    {
        "not_yet_recruiting",
        "recruiting",
        "enrolling_by_invitation",
        "active_not_recruiting",
        "ongoing",
        "authorised",
    }
)


# A trial that stopped before its plan was done.
STOPPED_EARLY = frozenset({"terminated", "suspended", "halted", "withdrawn"})


@dataclass(frozen=True, slots=True)
class FlagRules:
    target_cut: float = 0.25
    status_stale_after: timedelta = timedelta(days=90)
    results_due_after: timedelta = timedelta(days=365)


DEFAULT_FLAGS = FlagRules()


# Each flag in two or three words, for a mark on the list's row (its message says the rest).
MARKS = {
    "enrolment_moved_after_registration": "enrolment moved",
    "target_size_cut": "target cut",
    "ended_short_of_enrolment": "ended short",
    "status_not_updated": "status not updated",
    "results_missing": "results missing",
}


@dataclass(frozen=True, slots=True)
class RedFlag:
    code: str
    message: str

    @property
    def mark(self) -> str:
        return MARKS.get(self.code, self.code.replace("_", " "))

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _end_day(text: str | None) -> date | None:
    return as_date(text, month_end=True)


# What the flags read of a trial's versions, folded one version at a time (``fold``): the
# latest record's few fields, plus the earliest enrolment date and the first plan of the
# versions before. Kept beside each watch, so that the list can tell which trials are
# flagged today without reading every version; plain JSON values, so that it is stored as is.
Facts = Mapping[str, Any]

_LATEST = (
    "registration_date",
    "first_enrolment_date",
    "status",
    "recruitment_status",
    "actual_enrolment",
    "completion_date",
    "primary_completion_date",
)


def fold(facts: Facts | None, record: Record) -> dict[str, Any]:
    """The facts after one more version (``facts`` None: the first version)."""
    before = facts or {}
    out: dict[str, Any] = {k: record.get(k) for k in _LATEST}
    out["results"] = bool((record.get("results") or {}).get("available"))
    started = _end_day(record.get("first_enrolment_date"))
    seen = before.get("seen_enrolment")
    # The earliest enrolment date of the versions before this one, and of all of them.
    out["earlier_enrolment"] = seen
    if started and (seen is None or started.isoformat() < seen):
        seen = started.isoformat()
    out["seen_enrolment"] = seen
    plan = record.get("target_sample_size")
    plan = plan if isinstance(plan, int) and not isinstance(plan, bool) else None
    first = before.get("first_plan")
    out["first_plan"] = first if first is not None else plan
    out["plan"] = plan if plan is not None else before.get("plan")
    return out


def facts_of(records: Sequence[Record]) -> dict[str, Any] | None:
    """The facts of a trial's versions, oldest first (None when there are none)."""
    facts: dict[str, Any] | None = None
    for record in records:
        facts = fold(facts, record)
    return facts


def red_flags(
    records: Sequence[Record], today: date, rules: FlagRules = DEFAULT_FLAGS
) -> list[RedFlag]:
    """The flags raised by a trial's versions, oldest first."""
    return flags_of(facts_of(records), today, rules)


def flags_of(facts: Facts | None, today: date, rules: FlagRules = DEFAULT_FLAGS) -> list[RedFlag]:
    """The flags that a trial's facts (``fold``) raise today."""
    if not facts:
        return []
    flags: list[RedFlag] = []

    registered = _end_day(facts.get("registration_date"))
    started = _end_day(facts.get("first_enrolment_date"))
    earlier = as_date(facts.get("earlier_enrolment"))
    if registered and started and started >= registered and earlier and earlier < registered:
        flags.append(
            RedFlag(
                "enrolment_moved_after_registration",
                f"Date of first enrolment moved from {earlier.isoformat()} (before the "
                f"registration on {registered.isoformat()}) to "
                f"{facts['first_enrolment_date']}, after it",
            )
        )

    # The plan only: a register that shows the number enrolled instead has not cut it.
    was, now = facts.get("first_plan"), facts.get("plan")
    if isinstance(was, int) and isinstance(now, int) and was > 0 and now < was:
        cut = (was - now) / was
        if cut > rules.target_cut:
            flags.append(
                RedFlag(
                    "target_size_cut",
                    f"Target sample size cut by {cut:.0%} since we started watching "
                    f"({was} → {now})",
                )
            )

    enrolled = facts.get("actual_enrolment")
    status = facts.get("status")
    if (
        status in STOPPED_EARLY
        and isinstance(enrolled, int)
        and isinstance(now, int)
        and now > 0
        and enrolled < now
    ):
        flags.append(
            RedFlag(
                "ended_short_of_enrolment",
                f"Ended with {round(100 * enrolled / now)} % of its planned enrolment "
                f"({enrolled} of {now})",
            )
        )

    end = _end_day(facts.get("completion_date"))
    if end and status in NOT_ENDED and today - end > rules.status_stale_after:
        flags.append(
            RedFlag(
                "status_not_updated",
                f"Status still '{plain('recruitment_status', facts.get('recruitment_status'))}' "
                f"{(today - end).days} days "
                f"after the completion date ({end.isoformat()})",
            )
        )
    # Results are due a year after the primary completion (FDAAA 801, EU Regulation 536/2014);
    # a register that gives no primary completion: after the end of the trial.
    primary = _end_day(facts.get("primary_completion_date"))
    due_from, what = (
        (primary, "the primary completion") if primary else (end, "the end of the trial")
    )
    if (
        due_from
        and today - due_from > rules.results_due_after
        and status not in NOT_ENDED
        and not facts.get("results")
    ):
        flags.append(
            RedFlag(
                "results_missing",
                f"No results {(today - due_from).days // 30} months after {what} "
                f"({due_from.isoformat()})",
            )
        )
    return flags
