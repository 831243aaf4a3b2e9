"""Commands of the watch list: add, import, remove, list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from watcher.cli.app import App, cli, echo_json, iso, json_option, pass_app, progress, warn

if TYPE_CHECKING:
    from watcher.core.model import CheckOutcome, Watch
    from watcher.results import Added
from watcher.registers import SOURCES


def members_line(o: CheckOutcome) -> str:
    return (
        f"{o.trial_id}: the whole trial, {len(o.members)} member record(s): {', '.join(o.members)}"
    )


def _baselines(app: App, trial_ids: Sequence[str]) -> list[CheckOutcome]:
    with progress(len(trial_ids), "Fetching", True) as advance:
        return app.service.baseline(trial_ids, progress=advance)


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--source", help=f"Adapter that fetches them ({', '.join(sorted(SOURCES))}).")
@click.option("--label", help="A name for the trial in lists and reports.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--no-fetch", is_flag=True, help="Do not fetch a baseline version now.")
@click.option(
    "--every",
    help='Check these trials on an interval of their own ("24h", "7d"); the shortest of it '
    "and their tags' intervals applies.",
)
@click.option(
    "--linked",
    is_flag=True,
    help="Also watch the other registrations of these trials that their records name.",
)
@pass_app
def add(
    app: App,
    ids: tuple[str, ...],
    source: str | None,
    label: str | None,
    tags: tuple[str, ...],
    no_fetch: bool,
    every: str | None,
    linked: bool,
) -> None:
    """Start watching trials (all IDs are checked before any is stored)."""
    interval = _duration(every) if every is not None else None
    result = app.service.add(ids, source=source, label=label, tags=tags, every=interval)
    _added(app, result, no_fetch)
    if linked and not no_fetch:
        more = app.service.add_linked([w.trial_id for w in result.watches])
        if more.watches:
            click.echo(f"Other registrations named: {', '.join(w.trial_id for w in more.watches)}")
        _added(app, more, no_fetch)


def _duration(text: str) -> timedelta:
    from watcher.config import parse_duration

    try:
        return parse_duration(text)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="'--every'") from None


def _added(app: App, result: Added, no_fetch: bool) -> None:
    for w in result.watches:
        click.echo(
            f"{'Watching' if w.trial_id in result.added else 'Already watching'} "
            f"{w.trial_id} ({w.source})."
        )
    if no_fetch:
        return
    for o in _baselines(app, [w.trial_id for w in result.watches]):
        if o.members:
            click.echo(members_line(o))
        elif o.kind == "failed":
            warn(f"{o.trial_id}: no baseline yet: {o.error}; it is tried again at the next check")
        elif o.kind == "baseline":
            click.echo(f"{o.trial_id}: baseline version {o.version} stored.")
        else:
            click.echo(f"{o.trial_id}: {o.kind} (version {o.version}).")


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", help="Adapter that fetches them.")
@click.option("--tag", "tags", multiple=True, help="A tag for every imported trial.")
@click.option("--no-fetch", is_flag=True, help="Do not fetch baseline versions now.")
@pass_app
def import_(app: App, file: str, source: str | None, tags: tuple[str, ...], no_fetch: bool) -> None:
    """Watch every trial ID in a CSV or text list (all or nothing)."""
    result = app.service.import_file(file, source=source, tags=tags)
    found, added = len(result.watches), len(result.added)
    click.echo(
        f"{found} trial IDs in {file}: {added} newly watched, {found - added} already watched."
    )
    if no_fetch:
        return
    outcomes = _baselines(app, [w.trial_id for w in result.watches if w.trial_id in result.added])
    failed = [o for o in outcomes if o.kind == "failed"]
    click.echo(f"Baselines: {len(outcomes) - len(failed)} stored, {len(failed)} failed.")
    for o in failed:
        warn(f"{o.trial_id}: no baseline yet: {o.error}")


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@pass_app
def remove(app: App, ids: tuple[str, ...]) -> None:
    """Stop watching trials; their history is kept."""
    for tid in app.service.remove(ids):
        click.echo(f"Stopped watching {tid} (history kept).")


def _watch_json(w: Watch, interval: str, linked: list[str], members: list[str]) -> dict[str, Any]:
    return {
        # A whole EUCTR trial: its member-state records, listed in their own rows.
        "members": members,
        "trial_id": w.trial_id,
        "source": w.source,
        "label": w.label,
        "title": w.title,
        "interval": interval,
        "unreviewed": w.unreviewed,
        "tags": list(w.tags),
        "last_checked_at": iso(w.last_checked_at),
        "last_changed_at": iso(w.last_changed_at),
        "status": w.status,
        "registry": w.registry,
        "versions": w.versions,
        "consecutive_failures": w.consecutive_failures,
        "last_error": w.last_error,
        "redirected_to": w.redirected_to,
        "linked": linked,
    }


@cli.command(name="list")
@json_option
@click.option("--tag", help="Only trials with this tag.")
@pass_app
def list_(app: App, as_json: bool, tag: str | None) -> None:
    """The watched trials."""
    from watcher.cli.present import watch_table
    from watcher.config import format_duration

    watches = app.service.watches(tag=tag)
    schedule = app.settings.schedule
    intervals = {w.trial_id: format_duration(schedule.interval_of(w)) for w in watches}
    if as_json:
        linked = app.service.linked_ids(watches)
        members = app.service.whole_trials(watches)
        echo_json(
            [
                _watch_json(
                    w, intervals[w.trial_id], linked[w.trial_id], members.get(w.trial_id, [])
                )
                for w in watches
            ]
        )
        return
    if not watches:
        click.echo("No trials watched. Start with: watcher add NCT04267848")
        return
    for line in watch_table(watches, intervals, app.service.whole_trials(watches)):
        click.echo(line)
