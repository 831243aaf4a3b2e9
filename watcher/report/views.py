"""The views a report's templates show: a trial with its changes, a change, a version, a
problem, a disagreement, an overdue review. Plain frozen data (see ``context.ReportContext``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One change as the templates show it."""

    significance: str
    kind: str
    label: str
    summary: str
    pieces: tuple[dict[str, str], ...]  # word diff: {"op": equal|delete|insert, "text"}
    # The whole value before and after, in words (the side-by-side comparison shows them).
    old: str = ""
    new: str = ""


@dataclass(frozen=True, slots=True)
class TrialView:
    """One trial and its changes in the period."""

    trial_id: str
    label: str | None  # the watch's label, else its record's title
    url: str | None
    registry: str
    tags: tuple[str, ...]
    version_from: int | None
    version_to: int | None
    changes: tuple[ChangeView, ...]
    counts: Mapping[str, int]
    flags: tuple[str, ...] = ()
    results_posted: bool = False
    # Other registrations of the trial that its record names for the first time.
    new_links: tuple[str, ...] = ()
    # When the newest of these changes was found (the version's fetch), for feeds.
    found_at: datetime | None = None
    # Its page in the web view, where the office reviews it (``serve.public_url`` set).
    page: str | None = None


@dataclass(frozen=True, slots=True)
class DisagreementView:
    """Two watched registrations of one trial that say different things."""

    trial_id: str
    other_id: str
    messages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OverdueView:
    """Changes of a trial that nobody reviewed for too long."""

    trial_id: str
    label: str | None
    versions: tuple[int, ...]
    since: datetime


@dataclass(frozen=True, slots=True)
class ProblemView:
    """A trial whose checks fail or have not succeeded for too long."""

    trial_id: str
    label: str | None
    since: datetime | None
    failures: int
    error: str | None
    not_found: bool = False  # the register says it has no such record any more


@dataclass(frozen=True, slots=True)
class VersionView:
    version: int
    fetched_at: datetime
    status: str | None
    target_sample_size: int | None
    changes: tuple[ChangeView, ...]
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None
    needs_review: bool = False  # a version of metadata changes alone asks for none
