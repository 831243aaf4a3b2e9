"""Alerts, digests and reports: what they say is built here as a ``ReportContext``, how it
looks is the templates' (``templates/``, overridable with ``report.templates_dir``).

Every template gets exactly the fields of ``ReportContext`` (a test keeps the documented list
and the dataclass in step). Register values reach HTML only through Jinja's autoescape.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from email.utils import make_msgid
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from watcher import __version__
from watcher.config import Settings
from watcher.diff import diff_records, summarize
from watcher.errors import WatcherError
from watcher.flags import red_flags
from watcher.model import CheckOutcome, FieldChange, Message, Version, Watch
from watcher.present import when
from watcher.resources import data_dir
from watcher.store import Repository
from watcher.timeline import Point, svg

SIGNIFICANCES = ("major", "minor", "metadata")


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One change as the templates show it."""

    significance: str
    kind: str
    label: str
    summary: str
    pieces: tuple[dict[str, str], ...]  # word diff: {"op": equal|delete|insert, "text"}


@dataclass(frozen=True, slots=True)
class TrialView:
    """One trial and its changes in the period."""

    trial_id: str
    label: str | None
    url: str | None
    registry: str
    tags: tuple[str, ...]
    version_from: int | None
    version_to: int | None
    changes: tuple[ChangeView, ...]
    counts: Mapping[str, int]
    flags: tuple[str, ...] = ()
    results_posted: bool = False


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


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What every template gets (documented in README "Templates").

    - ``kind``: "alert", "digest", "report" or "history"; ``title``: the page's title.
    - ``generated_at``, ``period_start``, ``period_end``: when and which span it covers.
    - ``trials``: the trials with changes (a `TrialView` each), major ones first.
    - ``counts``: changes by significance; ``checked``/``watched``: trials checked in the
      period / watched now.
    - ``results_posted``: trial IDs whose results were newly posted.
    - ``failing``: trials whose last checks failed, and since when; ``stale``: trials with no
      successful check for longer than two check intervals (`ProblemView`).
    - ``newly_failing``: in an alert, trials that just reached `schedule.failures_before_alert`
      failed checks in a row; ``recovered``: trials checked again after that many.
    - ``history``: for one trial's report, its versions (`VersionView`); ``timeline_svg``:
      its status and target size over them, as inline SVG.
    - ``version``: watcher's version.
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
    results_posted: tuple[str, ...] = ()
    failing: tuple[ProblemView, ...] = ()
    stale: tuple[ProblemView, ...] = ()
    newly_failing: tuple[ProblemView, ...] = ()
    recovered: tuple[ProblemView, ...] = ()
    history: tuple[VersionView, ...] = ()
    timeline_svg: str = ""
    version: str = __version__


# -- building ---------------------------------------------------------------------------------


def _change(c: FieldChange) -> ChangeView:
    return ChangeView(c.significance, c.kind, c.label, c.summary or c.label, c.detail)


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
) -> TrialView:
    return TrialView(
        trial_id=watch.trial_id,
        label=watch.label,
        url=url,
        registry=watch.registry,
        tags=watch.tags,
        version_from=v_from,
        version_to=v_to,
        changes=tuple(
            _change(c) for c in sorted(changes, key=lambda c: SIGNIFICANCES.index(c.significance))
        ),
        counts=summarize(changes),
        flags=tuple(flags),
        results_posted=_results_posted(changes),
    )


def _order(trials: list[TrialView]) -> tuple[TrialView, ...]:
    return tuple(sorted(trials, key=lambda t: (-t.counts["major"], -t.counts["minor"], t.trial_id)))


def _total(trials: Sequence[TrialView]) -> dict[str, int]:
    return {s: sum(t.counts[s] for t in trials) for s in SIGNIFICANCES}


def alert_context(
    outcomes: Sequence[CheckOutcome],
    watches: Mapping[str, Watch],
    settings: Settings,
    now: datetime,
) -> ReportContext | None:
    """The alert of one check run: its changes of the alerted significances, the trials that
    just became failing and those that recovered; None when it has none of these
    (metadata alone is never alerted)."""
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
                    watch.label,
                    watch.failing_since,
                    outcome.failures,
                    outcome.error,
                    outcome.not_found,
                )
            )
        if outcome.kind != "failed" and outcome.recovered_after >= threshold:
            recovered.append(
                ProblemView(watch.trial_id, watch.label, None, outcome.recovered_after, None)
            )
        changes = [c for c in outcome.changes if c.significance in alert_on]
        if outcome.kind != "changed" or not changes:
            continue
        url = _url(watch, settings)
        trials.append(_trial(watch, url, changes, (outcome.version or 1) - 1, outcome.version))
    if not (trials or newly_failing or recovered):
        return None
    ordered = _order(trials)
    return ReportContext(
        kind="alert",
        title="Changes found by the last check",
        generated_at=now,
        period_start=None,
        period_end=now,
        trials=ordered,
        counts=_total(ordered),
        checked=len(outcomes),
        watched=len(watches),
        results_posted=tuple(t.trial_id for t in ordered if t.results_posted),
        newly_failing=tuple(newly_failing),
        recovered=tuple(recovered),
    )


def _url(watch: Watch, settings: Settings) -> str | None:
    from watcher.registries import get

    try:
        return get(watch.source, settings).record_url(watch.trial_id)
    except WatcherError:  # a source removed from config must not stop a report
        return None


def period_context(
    repo: Repository, settings: Settings, since: datetime, until: datetime, kind: str = "digest"
) -> ReportContext:
    """Every change of (since, until], grouped by trial, with failing and stale trials."""
    trials = []
    today = until.date()
    for watch, versions in repo.changed_since(since, until):
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
        url = versions[-1].record.get("url") or _url(watch, settings)
        trials.append(_trial(watch, url, changes, versions[0].version, versions[-1].version, flags))
    watches = repo.watches()
    interval = settings.schedule.check_interval
    threshold = settings.schedule.failures_before_alert
    failing = [_problem(w) for w in watches if w.is_failing(threshold)]
    stale = [_problem(w) for w in watches if w.is_stale(until, interval)]
    ordered = _order(trials)
    title = ("Weekly digest" if kind == "digest" else "Changes") + (
        f" {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    )
    return ReportContext(
        kind=kind,
        title=title,
        generated_at=until,
        period_start=since,
        period_end=until,
        trials=ordered,
        counts=_total(ordered),
        checked=sum(1 for w in watches if w.last_checked_at and w.last_checked_at > since),
        watched=len(watches),
        results_posted=tuple(t.trial_id for t in ordered if t.results_posted),
        failing=tuple(failing),
        stale=tuple(stale),
    )


def _problem(w: Watch) -> ProblemView:
    return ProblemView(
        w.trial_id,
        w.label,
        w.failing_since or w.last_success_at,
        w.consecutive_failures,
        w.last_error,
    )


def history_context(
    repo: Repository, settings: Settings, trial_id: str, now: datetime
) -> ReportContext:
    """One trial's whole history: each version with its changes, and the timeline."""
    watch = repo.watch(trial_id)
    versions: list[Version] = repo.history(trial_id)
    views = []
    for i, v in enumerate(versions):
        changes = diff_records(versions[i - 1].record, v.record, settings.diff) if i else []
        views.append(
            VersionView(
                v.version,
                v.fetched_at,
                v.record.get("recruitment_status"),
                v.record.get("target_sample_size"),
                tuple(_change(c) for c in changes),
            )
        )
    points = [
        Point(
            v.fetched_at,
            v.version,
            v.record.get("status"),
            v.record.get("recruitment_status"),
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
        versions[-1].record.get("url") if versions else _url(watch, settings),
        all_changes,
        versions[0].version if versions else None,
        versions[-1].version if versions else None,
        flags,
    )
    return ReportContext(
        kind="history",
        title=f"{trial_id}: history since we started watching",
        generated_at=now,
        period_start=versions[0].fetched_at if versions else None,
        period_end=now,
        trials=(trial,),
        counts=trial.counts,
        watched=1,
        history=tuple(views),
        timeline_svg=svg(points) if points else "",
    )


# -- rendering --------------------------------------------------------------------------------


def environment(settings: Settings) -> Environment:
    loaders = [FileSystemLoader(str(data_dir("templates")))]
    if settings.templates_dir:
        loaders.insert(0, FileSystemLoader(str(Path(settings.templates_dir).expanduser())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = when
    return env


def render(ctx: ReportContext, template: str, settings: Settings) -> str:
    values = {f: getattr(ctx, f) for f in ctx.__dataclass_fields__}
    values["timeline_svg"] = Markup(ctx.timeline_svg)  # built with every value escaped
    return environment(settings).get_template(template).render(**values)


def render_atom(ctx: ReportContext, feed_id: str = "urn:watcher:changes") -> str:
    """An Atom feed: one entry per trial with changes."""
    ns = "http://www.w3.org/2005/Atom"
    ElementTree.register_namespace("", ns)
    feed = ElementTree.Element(f"{{{ns}}}feed")

    def sub(
        parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str
    ) -> ElementTree.Element:
        el = ElementTree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "title", ctx.title)
    sub(feed, "id", feed_id)
    sub(feed, "updated", ctx.generated_at.isoformat())
    author = sub(feed, "author")
    sub(author, "name", "watcher")
    for trial in ctx.trials:
        entry = sub(feed, "entry")
        label = f" ({trial.label})" if trial.label else ""
        sub(
            entry,
            "title",
            f"{trial.trial_id}{label}: {trial.counts['major']} major, "
            f"{trial.counts['minor']} minor changes",
        )
        sub(entry, "id", f"urn:watcher:{trial.trial_id}:v{trial.version_to}")
        sub(entry, "updated", ctx.generated_at.isoformat())
        if trial.url:
            sub(entry, "link", href=trial.url)
        sub(
            entry,
            "content",
            "\n".join(f"[{c.significance}] {c.summary}" for c in trial.changes),
            type="text",
        )
    return ElementTree.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


# -- messages ---------------------------------------------------------------------------------


def _subject(ctx: ReportContext) -> str:
    n = len(ctx.trials)
    changes = f"{ctx.counts['major']} major, {ctx.counts['minor']} minor"
    if ctx.kind == "alert":
        parts = [f"{n} trial{'s' if n != 1 else ''} changed ({changes})"] if n else []
        if ctx.newly_failing:
            parts.append(f"{len(ctx.newly_failing)} failing")
        if ctx.recovered:
            parts.append(f"{len(ctx.recovered)} recovered")
        return "[watcher] " + ", ".join(parts)
    problems = f", {len(ctx.failing)} failing" if ctx.failing else ""
    if not n:
        return f"[watcher] Weekly digest: no changes, {ctx.checked} trials checked{problems}"
    return f"[watcher] Weekly digest: {n} trial{'s' if n != 1 else ''} changed ({changes})" + (
        problems
    )


def messages(ctx: ReportContext, settings: Settings, template: str) -> list[dict[str, Any]]:
    """The messages of a context: one to the configured recipients, and one per tag with
    recipients of its own, holding that tag's trials only."""
    groups: list[tuple[tuple[str, ...], ReportContext]] = [(settings.email.to, ctx)]
    for tag, recipients in settings.email.tags.items():
        tagged = tuple(t for t in ctx.trials if tag in t.tags)
        if tagged and recipients:
            groups.append((recipients, _narrow(ctx, tagged)))
    out = []
    for recipients, group_ctx in groups:
        out.append(
            {
                "recipients": recipients,
                "subject": _subject(group_ctx),
                "text": render(group_ctx, f"{template}.txt.j2", settings),
                "html": render(group_ctx, f"{template}.html.j2", settings),
            }
        )
    return out


def _narrow(ctx: ReportContext, trials: tuple[TrialView, ...]) -> ReportContext:
    return replace(
        ctx,
        trials=trials,
        counts=_total(trials),
        results_posted=tuple(t.trial_id for t in trials if t.results_posted),
    )


def to_messages(ctx: ReportContext, settings: Settings, template: str) -> list[Message]:
    """The messages to queue for a context: e-mails (when e-mail is on) and one for the
    apprise channels (when any is configured)."""
    domain = settings.email.sender.rpartition("@")[2] or "watcher.invalid"
    kind: Any = "alert" if ctx.kind == "alert" else "digest"
    period = (ctx.period_start, ctx.period_end) if kind == "digest" else (None, None)

    def message(
        recipients: tuple[str, ...], subject: str, text: str, html: str, channel: str
    ) -> Message:
        return Message(
            kind=kind,
            message_id=make_msgid(
                idstring=f"watcher.{ctx.kind}.{secrets.token_hex(6)}", domain=domain
            ),
            recipients=recipients,
            subject=subject,
            text=text,
            html=html,
            period_start=period[0],
            period_end=period[1],
            channel=channel,
        )

    out = []
    if settings.email.enabled:
        out += [
            message(tuple(m["recipients"]), m["subject"], m["text"], m["html"], "email")
            for m in messages(ctx, settings, template)
        ]
    if settings.apprise_urls:
        out.append(
            message((), _subject(ctx), render(ctx, f"{template}.txt.j2", settings), "", "apprise")
        )
    return out


def digest_period(
    repo: Repository, now: datetime, since: date | None = None
) -> tuple[datetime, datetime]:
    """From the end of the last digest (or ``since``, or a week ago) to now."""
    if since is not None:
        start = datetime(since.year, since.month, since.day, tzinfo=now.tzinfo)
    else:
        start = repo.last_digest_end() or now - timedelta(days=7)
    return start, now
