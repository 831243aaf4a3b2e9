"""Commands that check: check now, the daemon, and its status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import click

from watcher.cli.app import (
    App,
    cli,
    echo_json,
    json_option,
    pass_app,
    progress,
    warn,
    warn_not_sent,
)
from watcher.cli.searches import news_json
from watcher.cli.watches import members_line
from watcher.core.display import when

if TYPE_CHECKING:
    from watcher.core.model import CheckOutcome
    from watcher.core.searches import SearchNews


@cli.command()
@click.argument("ids", nargs=-1)
@json_option
@pass_app
def check(app: App, ids: tuple[str, ...], as_json: bool) -> None:
    """Fetch now (every watched trial when no ID is given) and print what changed."""

    def count() -> int:
        return len(ids) if ids else app.service.watched_count()

    with progress(count, "Checking", not as_json) as advance:
        result = app.service.check(ids, progress=advance)
    warn_not_sent(result.not_sent)
    outcomes = result.outcomes
    if as_json:
        echo_json(
            {
                "checked": len(outcomes),
                "changed": [o.trial_id for o in outcomes if o.kind == "changed"],
                "new": [o.trial_id for o in outcomes if o.kind == "baseline"],
                "failed": [{"trial_id": o.trial_id, "error": o.error} for o in result.failed],
                "searches": [news_json(n) for n in result.searches],
            }
        )
    else:
        _print_outcomes(outcomes, result.titles)
        _print_searches(result.searches)
    if result.unrecorded:
        warn(
            f"the run could not be recorded nor its changes alerted ({result.unrecorded}); "
            "the versions are stored and the next run sends their alert"
        )
    if result.failed or result.unrecorded or any(n.error for n in result.searches):
        raise SystemExit(1)


def _print_outcomes(outcomes: Sequence[CheckOutcome], titles: Mapping[str, str]) -> None:
    from watcher.cli.present import change_lines

    for o in outcomes:
        if o.members:
            click.echo(members_line(o))
        if o.redirected_to:
            click.echo(
                f"{o.trial_id}: the register now answers as {o.redirected_to} (alias redirected)"
            )
        if o.kind == "changed":
            title = titles.get(o.trial_id, o.trial_id)
            named = f"{o.trial_id} ({title})" if title != o.trial_id else o.trial_id
            click.echo(f"{named}: {len(o.changes)} change(s), version {o.version}")
            for change in o.changes:
                for line in change_lines(change):
                    click.echo(f"  {line}")
        elif o.kind == "baseline":
            click.echo(f"{o.trial_id}: first version stored")
        elif o.kind == "failed":
            click.echo(f"{o.trial_id}: check failed: {o.error}")
    counts = {
        k: sum(o.kind == k for o in outcomes)
        for k in ("changed", "baseline", "unchanged", "failed")
    }
    click.echo(
        f"Checked {len(outcomes)} trial(s): {counts['changed']} changed, "
        f"{counts['baseline']} new, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed."
    )


def _print_searches(searches: Sequence[SearchNews]) -> None:
    """What the saved searches found: those with news in full, the rest counted."""
    for n in searches:
        if n.error:
            click.echo(f'Search "{n.name}": could not be run: {n.error}')
            continue
        if not (n.entered or n.left or n.capped):
            continue
        click.echo(
            f'Search "{n.name}": {len(n.entered)} new, {len(n.left)} left (it matches {n.matches})'
        )
        for m in n.entered:
            what = ", ".join(
                x for x in (m.title, m.status, m.registered and f"registered {m.registered}") if x
            )
            watched = " (now watched)" if m.trial_id in n.watched else ""
            click.echo(f"  new: {m.trial_id}" + (f" {what}" if what else "") + watched)
        for gone in n.left:
            why = f": {gone.why}" if gone.why else ""
            click.echo(f"  left: {gone.match.trial_id}{why}")
        if n.capped:
            click.echo(f"  capped: {n.why_capped}")
    if searches:
        new = sum(len(n.entered) for n in searches)
        left = sum(len(n.left) for n in searches)
        click.echo(f"Ran {len(searches)} saved search(es): {new} new trial(s), {left} left.")


@cli.command()
@pass_app
def run(app: App) -> None:
    """The daemon: check every watched trial on schedule and send the digest, until SIGTERM."""
    # One line per check for journald (it adds the time), even without -v.
    from watcher.daemon import Daemon
    from watcher.logs import configure_logging

    configure_logging(max(app.verbose, 1))
    app.service.open()
    Daemon(app.service).run()


@cli.command()
@json_option
@pass_app
def status(app: App, as_json: bool) -> None:
    """When the daemon last completed a cycle; trials due, failing and stale. Exit 1 when no
    cycle completed for two check intervals (for monitoring)."""
    from watcher.config import format_duration

    s = app.service.status()
    state, run = s.daemon, s.last_run
    if as_json:
        echo_json(s.to_json())
    else:
        if state is None:
            click.echo("The daemon has never completed a cycle (is `watcher run` running?).")
        else:
            click.echo(
                f"Last cycle: {when(s.last_cycle_at)} (cycle {state.cycles} of the daemon "
                f"started {when(state.started_at)}, pid {state.pid} on {state.host})"
            )
        if run is not None:
            click.echo(
                f"The last cycle with trials due ({when(run.finished_at)}) checked "
                f"{run.checked}: {run.changed} changed, {run.failed} failed."
            )
        click.echo(
            f"Watched: {s.watched}; due now: {s.due}; failing: {len(s.failing)}; "
            f"stale (no success for two intervals): {len(s.stale)}; messages queued: "
            f"{s.queued_messages}"
        )
        for name, at in s.full_sweeps.items():
            every = app.settings.sources[name].full_sweep
            assert every is not None  # (only the registers that sweep are listed)
            click.echo(
                f"{name}: every watched record fetched since {when(at)} (a full sweep each "
                f"{format_duration(every)}; in between, only what the register lists as updated)"
                if at is not None
                else f"{name}: not every watched record fetched yet (a full sweep is due)"
            )
        for search in s.searches:
            if search.capped:
                click.echo(
                    f'Search "{search.name}" is capped by its register: {search.matches} of '
                    f"{search.total} read; narrow it to see them all"
                )
            if search.last_error:
                click.echo(f'Search "{search.name}" failed its last run: {search.last_error}')
        for w in s.failing:
            click.echo(f"  failing: {w.trial_id} since {when(w.failing_since)}: {w.last_error}")
        for w in s.stale:
            click.echo(f"  stale: {w.trial_id}, last success {when(w.last_success_at)}")
        if not s.healthy:
            interval = app.settings.schedule.check_interval
            click.echo(f"No cycle completed in the last {format_duration(2 * interval)}.")
    if not s.healthy:
        raise SystemExit(1)
