"""Domain types: the normalized record's keys, watches, versions, changes and check outcomes.

Pure: data only, no I/O. ORM rows never leave ``watcher.store``; these types cross the layers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

# A normalized record is plain JSON data (docs/contract.md §3), kept as a dict so that it
# round-trips through the database and `--json` without a schema layer in between.
Record = dict[str, Any]

# Contract §3, in the order a person reads them. Registers may add keys after these.
LIST_KEYS: tuple[str, ...] = (
    "secondary_sponsors",
    "funding_sources",
    "secondary_ids",
    "countries",
    "conditions",
    "interventions",
    "primary_outcomes",
    "secondary_outcomes",
    "contacts",
)
RECORD_KEYS: tuple[str, ...] = (
    "trial_id",
    "registry",
    "source",
    "url",
    "last_refreshed",
    "last_updated",
    "registration_date",
    "prospective_registration",
    "primary_sponsor",
    "secondary_sponsors",
    "funding_sources",
    "public_title",
    "scientific_title",
    "acronym",
    "secondary_ids",
    "recruitment_status",
    "status",
    "why_stopped",
    "first_enrolment_date",
    "target_sample_size",
    "actual_enrolment",
    "target_sample_size_type",
    "target_sample_size_text",
    "study_type",
    "study_design",
    "phase",
    "countries",
    "conditions",
    "interventions",
    "inclusion_criteria",
    "exclusion_criteria",
    "age_min",
    "age_max",
    "gender",
    "primary_outcomes",
    "secondary_outcomes",
    "contacts",
    "ethics_review",
    "results",
)

STATUSES: frozenset[str] = frozenset(
    {
        "not_yet_recruiting",
        "recruiting",
        "enrolling_by_invitation",
        "active_not_recruiting",
        "suspended",
        "terminated",
        "completed",
        "withdrawn",
        "authorised",
        "not_authorised",
        "halted",
        "ongoing",
        "ended",
        "unknown",
    }
)

Significance = Literal["major", "minor", "metadata"]
# The order of significance, most significant first: how every list of changes is ranked.
SIGNIFICANCES: tuple[Significance, ...] = ("major", "minor", "metadata")
OutcomeKind = Literal["baseline", "changed", "unchanged", "failed"]


def empty_record(trial_id: str, registry: str, source: str) -> Record:
    """A record with every contract key present and empty (``None`` or ``[]``)."""
    record: Record = {key: ([] if key in LIST_KEYS else None) for key in RECORD_KEYS}
    record.update(
        trial_id=trial_id,
        registry=registry,
        source=source,
        results={"available": None, "date_posted": None, "url": None},
    )
    return record


def short_title(title: str | None, limit: int = 90) -> str | None:
    """A title cut at a word to at most ``limit`` characters."""
    if not title or len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-(")
    return f"{cut}…"


def record_title(record: Record) -> str | None:
    """A record's title for people: the public one, else the scientific one."""
    title = record.get("public_title") or record.get("scientific_title")
    return title if isinstance(title, str) else None


@dataclass(frozen=True, slots=True)
class Watch:
    """A watched trial and what the last checks of it found."""

    trial_id: str
    registry: str
    source: str
    label: str | None = None
    tags: tuple[str, ...] = ()
    active: bool = True
    added_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_changed_at: datetime | None = None
    last_outcome: OutcomeKind | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    redirected_to: str | None = None
    versions: int = 0
    last_success_at: datetime | None = None
    failing_since: datetime | None = None
    next_check_at: datetime | None = None
    # The other registrations of the trial its latest record names; None: not read yet.
    links: tuple[str, ...] | None = None
    # Its latest record's public (else scientific) title and recruitment status; None: not
    # read yet.
    record_title: str | None = None
    record_status: str | None = None
    # Versions whose changes nobody has reviewed yet.
    unreviewed: int = 0
    # Its own check interval (`add --every`); None: the configured ones.
    every: timedelta | None = None
    # The latest change that matters, in one line (core.headline), its significance and when.
    latest_change: str | None = None
    latest_change_significance: str | None = None
    latest_change_at: datetime | None = None
    # What the red flags read of its versions (core.flags.fold); None: not read.
    flag_facts: Mapping[str, Any] | None = None
    # Of its unreviewed versions, those with a major change.
    unreviewed_major: int = 0
    # When its record was last fetched; a check between two full sweeps may take the
    # register's word that it did not change (watcher/sweep.py).
    fetched_at: datetime | None = None

    @property
    def title(self) -> str:
        """How a person knows the trial: its label, else its record's title (shortened),
        else its ID."""
        return self.label or short_title(self.record_title) or self.trial_id

    def is_failing(self, threshold: int) -> bool:
        """Its last ``threshold`` checks or more failed in a row."""
        return self.consecutive_failures >= threshold

    def is_stale(self, now: datetime, interval: timedelta) -> bool:
        """No successful check (since it was added) for longer than two check intervals."""
        return (self.last_success_at or self.added_at or now) < now - 2 * interval

    @property
    def status(self) -> str:
        """One word for a person: new (never checked), ok, failing, or removed."""
        if not self.active:
            return "removed"
        if self.last_outcome is None:
            return "new"
        return "failing" if self.consecutive_failures else "ok"


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version of a trial's normalized record."""

    trial_id: str
    version: int
    fetched_at: datetime
    content_hash: str
    source: str
    record: Record
    changes: int = 0
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None
    # The most significant of its changes; None: none, or not known (stored before it was).
    significance: str | None = None

    @property
    def needs_review(self) -> bool:
        """A version after the first, with changes that matter, nobody reviewed yet (the
        store's ``needs_review`` says the same in SQL)."""
        return (
            self.version > 1
            and self.changes > 0
            and self.reviewed_at is None
            and self.significance != "metadata"
        )


ChangeKind = Literal["changed", "added", "removed", "reworded", "moved"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One change between two versions: a field's value, or one item of a list field.

    ``summary`` says it in one line for a person ("Target sample size: 120 → 80 (−33%)");
    ``detail`` holds a word-level diff of a long text, as ``{"op", "text"}`` pieces."""

    field: str
    label: str
    old: Any
    new: Any
    significance: Significance
    kind: ChangeKind = "changed"
    summary: str = ""
    detail: tuple[dict[str, str], ...] = ()
    # For an outcome: what changed in meta-research raters' terms (``core.outcomes``).
    aspects: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "label": self.label,
            "old": self.old,
            "new": self.new,
            "significance": self.significance,
            "kind": self.kind,
            "summary": self.summary,
        }
        if self.detail:
            out["detail"] = list(self.detail)
        if self.aspects:
            out["aspects"] = list(self.aspects)
        return out


def by_significance(changes: Iterable[FieldChange]) -> list[FieldChange]:
    """Changes ranked most significant first (the order within one significance kept)."""
    return sorted(changes, key=lambda c: SIGNIFICANCES.index(c.significance))


@dataclass(frozen=True, slots=True)
class Fetched:
    """A register's answer for one trial: the raw payload and where it came from."""

    trial_id: str
    source: str
    payload: bytes
    content_type: str
    url: str
    # The ID the register answered with when it redirected an alias (CT.gov 301).
    redirected_to: str | None = None


@dataclass(frozen=True, slots=True)
class Expanded:
    """A register's answer for a whole-trial watch (``EUCTR2017-001400-29``): the records it
    stands for (one per member state), each of which is checked as a trial of its own."""

    trial_id: str
    source: str
    members: tuple[str, ...]


class Latest(NamedTuple):
    """What the store holds of a trial's latest version, without its record: what a check is
    decided on (``watcher.core.decide``)."""

    version: int
    content_hash: str
    payload_hash: str | None
    parser: str | None = None  # what read the record ("ictrp:2"); None: before versioning
    source: str | None = None  # the adapter that fetched it


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What one check of one trial found."""

    trial_id: str
    kind: OutcomeKind
    version: int | None = None
    changes: tuple[FieldChange, ...] = field(default_factory=tuple)
    error: str | None = None
    redirected_to: str | None = None
    # For a whole-trial watch: the member records it stands for.
    members: tuple[str, ...] = ()
    # Checks failed in a row, this one included (0 when it succeeded)...
    failures: int = 0
    # ...and, when it succeeded, how many had failed in a row before it.
    recovered_after: int = 0
    # The register says it has no such record (404/410): "record no longer found".
    not_found: bool = False
    # Registrations of the same trial that this version names for the first time.
    new_links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """An alert or digest as it is queued: built once, sent (and retried) as it is."""

    kind: Literal["alert", "digest"]
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    period_start: datetime | None = None
    period_end: datetime | None = None
    # "email" (to ``recipients``), or "apprise" (to the configured apprise URLs).
    channel: str = "email"


@dataclass(frozen=True, slots=True)
class Queued:
    """A message in the outbox and how its sending went."""

    id: int
    message: Message
    status: Literal["queued", "sent"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One run of checks: a `watcher check`, or one daemon cycle."""

    trigger: str  # "cli" or "daemon"
    started_at: datetime
    finished_at: datetime | None
    checked: int
    changed: int
    failed: int

    @classmethod
    def of(
        cls, trigger: str, started_at: datetime, finished_at: datetime, outcomes: Sequence[Any]
    ) -> CheckRun:
        """The record of a run from its outcomes (``CheckOutcome``)."""
        return cls(
            trigger,
            started_at,
            finished_at,
            len(outcomes),
            sum(o.kind == "changed" for o in outcomes),
            sum(o.kind == "failed" for o in outcomes),
        )


@dataclass(frozen=True, slots=True)
class DaemonState:
    started_at: datetime
    pid: int
    host: str
    last_cycle_at: datetime | None
    cycles: int
