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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

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


@dataclass(frozen=True, slots=True)
class RedFlag:
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _end_day(text: str | None) -> date | None:
    return as_date(text, month_end=True)


def red_flags(
    records: Sequence[Record], today: date, rules: FlagRules = DEFAULT_FLAGS
) -> list[RedFlag]:
    """The flags raised by a trial's versions, oldest first."""
    if not records:
        return []
    latest = records[-1]
    flags: list[RedFlag] = []

    registered = _end_day(latest.get("registration_date"))
    started = _end_day(latest.get("first_enrolment_date"))
    if registered and started and started >= registered:
        earlier = [_end_day(r.get("first_enrolment_date")) for r in records[:-1]]
        before = [d for d in earlier if d is not None and d < registered]
        if before:
            flags.append(
                RedFlag(
                    "enrolment_moved_after_registration",
                    f"Date of first enrolment moved from {min(before).isoformat()} (before the "
                    f"registration on {registered.isoformat()}) to "
                    f"{latest['first_enrolment_date']}, after it",
                )
            )

    # The plan only: a register that shows the number enrolled instead has not cut it.
    plans = [p for r in records if isinstance(p := r.get("target_sample_size"), int)]
    was, now = (plans[0], plans[-1]) if plans else (None, None)
    if was is not None and now is not None and was > 0 and now < was:
        cut = (was - now) / was
        if cut > rules.target_cut:
            flags.append(
                RedFlag(
                    "target_size_cut",
                    f"Target sample size cut by {cut:.0%} since we started watching "
                    f"({was} → {now})",
                )
            )

    enrolled = latest.get("actual_enrolment")
    if (
        latest.get("status") in STOPPED_EARLY
        and isinstance(enrolled, int)
        and now is not None
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

    end = _end_day(latest.get("completion_date"))
    status = latest.get("status")
    if end and status in NOT_ENDED and today - end > rules.status_stale_after:
        flags.append(
            RedFlag(
                "status_not_updated",
                f"Status still '{plain('recruitment_status', latest.get('recruitment_status'))}' "
                f"{(today - end).days} days "
                f"after the completion date ({end.isoformat()})",
            )
        )
    # Results are due a year after the primary completion (FDAAA 801, EU Regulation 536/2014);
    # a register that gives no primary completion: after the end of the trial.
    primary = _end_day(latest.get("primary_completion_date"))
    due_from, what = (
        (primary, "the primary completion") if primary else (end, "the end of the trial")
    )
    if (
        due_from
        and today - due_from > rules.results_due_after
        and status not in NOT_ENDED
        and not ((latest.get("results") or {}).get("available"))
    ):
        flags.append(
            RedFlag(
                "results_missing",
                f"No results {(today - due_from).days // 30} months after {what} "
                f"({due_from.isoformat()})",
            )
        )
    return flags
