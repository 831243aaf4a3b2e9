"""What an alert, a digest or a report says, as a ``ReportContext``: built here from data the
caller gives (outcomes, watches, versions), never from the database.

Pure: no database, no templates. How a context looks is the templates' (``report.render``);
every template gets exactly the fields of ``ReportContext`` (a test keeps the documented list
and the dataclass in step).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from watcher import __version__
from watcher.core.diff import diff_records, summarize
from watcher.core.display import plain, web_link
from watcher.core.flags import red_flags
from watcher.core.links import linked_ids
from watcher.core.model import (
    SIGNIFICANCES,
    CheckOutcome,
    CheckRun,
    FieldChange,
    Record,
    Version,
    Watch,
)
from watcher.core.searches import SearchNews
from watcher.core.timeline import Point, svg
from watcher.pages import page_url
from watcher.report.changes import change_views
from watcher.report.grouping import one_card_per_trial, trial_count
from watcher.report.views import (
    DisagreementView,
    OverdueView,
    ProblemView,
    TrialView,
    VersionView,
)

if TYPE_CHECKING:
    from watcher.config import Settings
    from watcher.registrations import Disagreement

# A trial's public page on its register (None when its source is gone from the config).
UrlFor = Callable[[Watch], "str | None"]


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What every template gets (documented in README "Templates").

    - ``kind``: "alert", "digest", "report" or "history"; ``title``: the page's title.
    - ``generated_at``, ``period_start``, ``period_end``: when and which span it covers.
    - ``trials``: the trials with changes (a `TrialView` each), major ones first.
    - ``counts``: changes by significance; ``checked``/``watched``: trials checked in the
      period / watched now; ``cycles``: daemon cycles completed in the period.
    - ``results_posted``: trial IDs whose results were newly posted.
    - ``failing``: trials whose last checks failed, and since when; ``stale``: trials with no
      successful check for longer than two check intervals (`ProblemView`).
    - ``newly_failing``: in an alert, trials that just reached `schedule.failures_before_alert`
      failed checks in a row; ``recovered``: trials checked again after that many.
    - ``overdue_reviews``: trials with changes nobody reviewed for longer than
      `review.remind_after` (`OverdueView`).
    - ``disagreements``: pairs of watched registrations of one trial that disagree on
      status, target size or end date (`DisagreementView`).
    - ``history``: for one trial's report, its versions (`VersionView`); ``timeline_svg``:
      its status and target size over them, as inline SVG.
    - ``searches``: what each saved search found (`SearchNews`); ``version``: watcher's.
    """

    kind: str
    title: str
    generated_at: datetime
    period_start: datetime | None
    period_end: datetime
    trials: tuple[TrialView, ...] = ()
    counts: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(SIGNIFICANCES, 0))
    checked: int = 0
    watched: int = 0
    cycles: int = 0
    results_posted: tuple[str, ...] = ()
    failing: tuple[ProblemView, ...] = ()
    stale: tuple[ProblemView, ...] = ()
    newly_failing: tuple[ProblemView, ...] = ()
    recovered: tuple[ProblemView, ...] = ()
    disagreements: tuple[DisagreementView, ...] = ()
    overdue_reviews: tuple[OverdueView, ...] = ()
    history: tuple[VersionView, ...] = ()
    timeline_svg: str = ""
    searches: tuple[SearchNews, ...] = ()
    version: str = __version__


# -- building ---------------------------------------------------------------------------------


def _results_posted(changes: Sequence[FieldChange]) -> bool:
    return any(
        (c.field == "results.available" and c.new is True)
        or (c.field == "results.date_posted" and bool(c.new))
        for c in changes
    )


def _trial(
    watch: Watch,
    url: str | None,
    changes: Sequence[FieldChange],
    v_from: int | None,
    v_to: int | None,
    flags: Sequence[str] = (),
    new_links: Sequence[str] = (),
    found_at: datetime | None = None,
    page: str | None = None,
) -> TrialView:
    return TrialView(
        trial_id=watch.trial_id,
        label=_name(watch),
        url=web_link(url),
        registry=watch.registry,
        tags=watch.tags,
        version_from=v_from,
        version_to=v_to,
        changes=change_views(changes),
        counts=summarize(changes),
        flags=tuple(flags),
        results_posted=_results_posted(changes),
        new_links=tuple(new_links),
        found_at=found_at,
        page=page,
    )


def web_page(settings: Settings, trial_id: str) -> str | None:
    """A trial's page in the web view (`watcher serve`), when ``serve.public_url`` is set."""
    return page_url(settings.serve.public_url, "trial", trial_id=trial_id)


def _name(watch: Watch) -> str | None:
    """How a person knows a trial beside its ID: its label, else its record's title."""
    return watch.title if watch.title != watch.trial_id else None


def _order(trials: list[TrialView]) -> tuple[TrialView, ...]:
    return tuple(sorted(trials, key=lambda t: (-t.counts["major"], -t.counts["minor"], t.trial_id)))


def total(trials: Sequence[TrialView]) -> dict[str, int]:
    return {s: sum(t.counts[s] for t in trials) for s in SIGNIFICANCES}


def _context(
    kind: str,
    title: str,
    now: datetime,
    start: datetime | None,
    trials: list[TrialView],
    **more: object,
) -> ReportContext:
    """The one place a context is put together: one card per trial (the member states of one
    EUCTR trial together), ranked, their counts and results."""
    ordered = _order(one_card_per_trial(trials))
    return ReportContext(
        kind=kind,
        title=title,
        generated_at=now,
        period_start=start,
        period_end=now,
        trials=ordered,
        counts=total(ordered),
        results_posted=tuple(t.trial_id for t in ordered if t.results_posted),
        **more,  # type: ignore[arg-type]
    )


def alert_context(
    outcomes: Sequence[CheckOutcome],
    watches: Mapping[str, Watch],
    settings: Settings,
    now: datetime,
    url_for: UrlFor,
    records: Callable[[str], Sequence[Record]] = lambda _tid: (),
    searches: Sequence[SearchNews] = (),
) -> ReportContext | None:
    """The alert of one check run: its changes of the alerted significances (with each
    trial's red flags, from its ``records``), the trials that just became failing and those
    that recovered; None when it has none of these (metadata alone is never alerted)."""
    alert_on = set(settings.email.alert_on)
    threshold = settings.schedule.failures_before_alert
    trials = []
    newly_failing, recovered = [], []
    for outcome in outcomes:
        watch = watches.get(outcome.trial_id)
        if watch is None:
            continue
        if outcome.kind == "failed" and outcome.failures == threshold:
            newly_failing.append(
                ProblemView(
                    watch.trial_id,
                    _name(watch),
                    watch.failing_since,
                    outcome.failures,
                    outcome.error,
                    outcome.not_found,
                )
            )
        if outcome.kind != "failed" and outcome.recovered_after >= threshold:
            recovered.append(
                ProblemView(watch.trial_id, _name(watch), None, outcome.recovered_after, None)
            )
        changes = [c for c in outcome.changes if c.significance in alert_on]
        if outcome.kind != "changed" or not changes:
            continue
        url = url_for(watch)
        v_from, v_to = (outcome.version or 1) - 1, outcome.version
        trials.append(
            _trial(
                watch,
                url,
                changes,
                v_from,
                v_to,
                [f.message for f in red_flags(records(watch.trial_id), now.date(), settings.flags)],
                outcome.new_links,
                now,
                web_page(settings, watch.trial_id),
            )
        )
    if not (trials or newly_failing or recovered or any(n.news for n in searches)):
        return None
    return _context(
        "alert",
        "Changes found by the last check",
        now,
        None,
        trials,
        checked=trial_count(o.trial_id for o in outcomes),
        watched=trial_count(watches),
        newly_failing=tuple(newly_failing),
        recovered=tuple(recovered),
        searches=tuple(n for n in searches if n.news),
    )


def period_context(
    changed: Iterable[tuple[Watch, Sequence[Version]]],
    watches: Sequence[Watch],
    runs: Sequence[CheckRun],
    settings: Settings,
    since: datetime,
    until: datetime,
    url_for: UrlFor,
    kind: str = "digest",
    disagreements: Sequence[Disagreement] = (),
    unreviewed: Sequence[tuple[str, int, datetime]] = (),
) -> ReportContext:
    """Every change of (since, until] (``changed``: the trials with versions in it, each with
    the version before), grouped by trial, with failing and stale trials among ``watches``."""
    trials = []
    today = until.date()
    for watch, versions in changed:
        # Each version of the period against the one before it: a change made and reverted
        # within the week is two changes, and both are news.
        changes = [
            c
            for old, new in pairwise(versions)
            for c in diff_records(old.record, new.record, settings.diff)
        ]
        if not changes:
            continue  # only a first version: nothing to compare it with yet
        flags = [f.message for f in red_flags([v.record for v in versions], today, settings.flags)]
        url = web_link(versions[-1].record.get("url")) or url_for(watch)
        came = sorted(set(linked_ids(versions[-1].record)) - set(linked_ids(versions[0].record)))
        first, last = versions[0].version, versions[-1].version
        found = versions[-1].fetched_at
        trials.append(
            _trial(
                watch,
                url,
                changes,
                first,
                last,
                flags,
                came,
                found,
                web_page(settings, watch.trial_id),
            )
        )
    failing = [_problem(w) for w in watches if settings.schedule.failing(w)]
    stale = [_problem(w) for w in watches if settings.schedule.stale(w, until)]
    title = ("Weekly digest" if kind == "digest" else "Changes") + (
        f" {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    )
    return _context(
        kind,
        title,
        until,
        since,
        trials,
        checked=trial_count(w.trial_id for w in watches if (w.last_checked_at or since) > since),
        watched=trial_count(w.trial_id for w in watches),
        cycles=sum(1 for r in runs if r.trigger == "daemon"),
        failing=tuple(failing),
        stale=tuple(stale),
        disagreements=tuple(
            DisagreementView(d.trial_id, d.other_id, tuple(f.message for f in d.flags))
            for d in disagreements
        ),
        overdue_reviews=_overdue(unreviewed, {w.trial_id: w for w in watches}),
    )


def _overdue(
    unreviewed: Sequence[tuple[str, int, datetime]], watches: Mapping[str, Watch]
) -> tuple[OverdueView, ...]:
    by_trial: dict[str, list[tuple[int, datetime]]] = {}
    for tid, version, found in unreviewed:
        by_trial.setdefault(tid, []).append((version, found))
    return tuple(
        OverdueView(
            tid,
            _name(watches[tid]) if tid in watches else None,
            tuple(v for v, _ in found),
            min(f for _, f in found),
        )
        for tid, found in by_trial.items()
    )


def _problem(w: Watch) -> ProblemView:
    return ProblemView(
        w.trial_id,
        _name(w),
        w.failing_since or w.last_success_at,
        w.consecutive_failures,
        w.last_error,
    )


def history_context(
    watch: Watch, versions: Sequence[Version], settings: Settings, now: datetime, url_for: UrlFor
) -> ReportContext:
    """One trial's whole history: each version with its changes, and the timeline."""
    trial_id = watch.trial_id
    views = []
    for i, v in enumerate(versions):
        changes = diff_records(versions[i - 1].record, v.record, settings.diff) if i else []
        views.append(
            VersionView(
                v.version,
                v.fetched_at,
                plain("recruitment_status", v.record.get("recruitment_status")),
                v.record.get("target_sample_size"),
                change_views(changes, ranked=False),
                v.reviewed_by,
                v.reviewed_at,
                v.review_note,
                v.needs_review,
            )
        )
    points = [
        Point(
            v.fetched_at,
            v.version,
            v.record.get("status"),
            plain("recruitment_status", v.record.get("recruitment_status")),
            v.record.get("target_sample_size"),
        )
        for v in versions
    ]
    all_changes = (
        diff_records(versions[0].record, versions[-1].record, settings.diff)
        if (len(versions) > 1)
        else []
    )
    flags = [f.message for f in red_flags([v.record for v in versions], now.date(), settings.flags)]
    trial = _trial(
        watch,
        versions[-1].record.get("url") if versions else url_for(watch),
        all_changes,
        versions[0].version if versions else None,
        versions[-1].version if versions else None,
        flags,
        found_at=versions[-1].fetched_at if versions else None,
        page=web_page(settings, watch.trial_id),
    )
    return _context(
        "history",
        f"{trial_id}: history since we started watching",
        now,
        versions[0].fetched_at if versions else None,
        [trial],
        watched=1,
        history=tuple(views),
        timeline_svg=svg(points) if points else "",
    )
