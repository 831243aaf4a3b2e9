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
    out["terms"] = terms(out)
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


def terms(facts: Facts) -> dict[str, Any]:
    """When the facts raise each flag: ``moved`` and ``short`` on any day; ``cut``, the share
    of the first plan cut, beyond the rules' share; ``stale_from`` (the completion of a trial
    whose status is not ended) and ``due_from`` (the day results are counted from, of a trial
    ended without them) once the rules' time has passed. Kept in the facts (``fold``), so
    that telling whether a trial is flagged today (``flagged``) parses no register date; a
    release that changes how they are read fills them again, as migration 0011 first did."""
    registered = _end_day(facts.get("registration_date"))
    started = _end_day(facts.get("first_enrolment_date"))
    earlier = as_date(facts.get("earlier_enrolment"))
    # The plan only: a register that shows the number enrolled instead has not cut it.
    was, now = facts.get("first_plan"), facts.get("plan")
    enrolled, status = facts.get("actual_enrolment"), facts.get("status")
    end = _end_day(facts.get("completion_date"))
    # Results are due a year after the primary completion (FDAAA 801, EU Regulation
    # 536/2014); a register that gives no primary completion: after the end of the trial.
    due = _end_day(facts.get("primary_completion_date")) or end
    return {
        "moved": bool(
            registered and started and started >= registered and earlier and earlier < registered
        ),
        "cut": (was - now) / was
        if isinstance(was, int) and isinstance(now, int) and was > 0 and now < was
        else None,
        "short": status in STOPPED_EARLY
        and isinstance(enrolled, int)
        and isinstance(now, int)
        and now > 0
        and enrolled < now,
        "stale_from": end.isoformat() if end and status in NOT_ENDED else None,
        "due_from": due.isoformat()
        if due and status not in NOT_ENDED and not facts.get("results")
        else None,
    }


def _raised(t: Facts, today: date, rules: FlagRules) -> dict[str, bool]:
    def past(day: str | None, after: timedelta) -> bool:
        return bool(day) and today - date.fromisoformat(day) > after  # type: ignore[arg-type]

    return {
        "enrolment_moved_after_registration": t["moved"],
        "target_size_cut": t["cut"] is not None and t["cut"] > rules.target_cut,
        "ended_short_of_enrolment": t["short"],
        "status_not_updated": past(t["stale_from"], rules.status_stale_after),
        "results_missing": past(t["due_from"], rules.results_due_after),
    }


def flagged(facts: Facts | None, today: date, rules: FlagRules = DEFAULT_FLAGS) -> bool:
    """Whether the facts raise any flag today (``flags_of`` not empty), quickly: the list
    asks it of every watched trial and reads the flags of a page of them."""
    if not facts:
        return False
    return any(_raised(facts.get("terms") or terms(facts), today, rules).values())


def flags_of(facts: Facts | None, today: date, rules: FlagRules = DEFAULT_FLAGS) -> list[RedFlag]:
    """The flags that a trial's facts (``fold``) raise today."""
    if not facts:
        return []
    t = facts.get("terms") or terms(facts)
    raised = _raised(t, today, rules)
    flags: list[RedFlag] = []
    if raised["enrolment_moved_after_registration"]:
        registered = _end_day(facts.get("registration_date"))
        earlier = as_date(facts.get("earlier_enrolment"))
        assert registered and earlier  # (terms: both are dates when it is raised)
        flags.append(
            RedFlag(
                "enrolment_moved_after_registration",
                f"Date of first enrolment moved from {earlier.isoformat()} (before the "
                f"registration on {registered.isoformat()}) to "
                f"{facts['first_enrolment_date']}, after it",
            )
        )
    was, now = facts.get("first_plan"), facts.get("plan")
    if raised["target_size_cut"]:
        flags.append(
            RedFlag(
                "target_size_cut",
                f"Target sample size cut by {t['cut']:.0%} since we started watching "
                f"({was} → {now})",
            )
        )
    if raised["ended_short_of_enrolment"]:
        enrolled = facts["actual_enrolment"]
        flags.append(
            RedFlag(
                "ended_short_of_enrolment",
                f"Ended with {round(100 * enrolled / now)} % of its planned enrolment "
                f"({enrolled} of {now})",
            )
        )
    if raised["status_not_updated"]:
        end = date.fromisoformat(t["stale_from"])
        flags.append(
            RedFlag(
                "status_not_updated",
                f"Status still '{plain('recruitment_status', facts.get('recruitment_status'))}' "
                f"{(today - end).days} days "
                f"after the completion date ({end.isoformat()})",
            )
        )
    if raised["results_missing"]:
        due_from = date.fromisoformat(t["due_from"])
        what = (
            "the primary completion"
            if _end_day(facts.get("primary_completion_date"))
            else "the end of the trial"
        )
        flags.append(
            RedFlag(
                "results_missing",
                f"No results {(today - due_from).days // 30} months after {what} "
                f"({due_from.isoformat()})",
            )
        )
    return flags
