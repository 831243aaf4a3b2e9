"""Commands that read a trial's history: show, history, diff."""

from __future__ import annotations

import click

from watcher.cli.app import App, cli, echo_json, iso, json_option, pass_app
from watcher.core.display import when
from watcher.core.ids import parse_trial_id


@cli.command()
@click.argument("trial")
@click.option("--version", "number", type=int, help="Version number (default: the newest).")
@json_option
@pass_app
def show(app: App, trial: str, number: int | None, as_json: bool) -> None:
    """A stored normalized record."""
    from watcher.cli.present import record_lines
    from watcher.core.links import linked_ids

    version = app.service.version(trial, number)
    linked = app.service.linked(version.trial_id, linked_ids(version.record))
    if as_json:
        echo_json({**version.record, "linked": [link.to_json() for link in linked]})
        return
    click.echo(
        f"{version.trial_id}, version {version.version}, fetched "
        f"{version.fetched_at:%Y-%m-%d %H:%M} UTC from {version.source}"
    )
    for line in record_lines(version.record):
        click.echo(line)
    if linked:
        click.echo(
            "Other registrations of this trial: "
            + ", ".join(
                f"{k.trial_id} ({'watched' if k.watched else 'not watched'})" for k in linked
            )
        )


@cli.command()
@click.argument("trial")
@json_option
@pass_app
def history(app: App, trial: str, as_json: bool) -> None:
    """The versions of a trial, oldest first."""
    from watcher.cli.present import history_table

    versions = app.service.history(trial)
    if as_json:
        echo_json(
            [
                {
                    "version": v.version,
                    "fetched_at": iso(v.fetched_at),
                    "content_hash": v.content_hash,
                    "changes": v.changes,
                    "source": v.source,
                    "reviewed_by": v.reviewed_by,
                    "reviewed_at": iso(v.reviewed_at),
                    "review_note": v.review_note,
                }
                for v in versions
            ]
        )
        return
    if not versions:
        click.echo(f"{parse_trial_id(trial).value}: no version stored yet.")
        return
    for line in history_table(versions):
        click.echo(line)


@cli.command()
@click.argument("trial")
@click.option("--from", "from_", type=int, help="Older version (default: the one before --to).")
@click.option("--to", type=int, help="Newer version (default: the newest).")
@json_option
@pass_app
def diff(app: App, trial: str, from_: int | None, to: int | None, as_json: bool) -> None:
    """Field changes between two versions (default: the last two), and red flags.

    --from 1 compares with the first version seen: changes made and reverted between two
    checks cancel out, and what a trial changed since we started watching stands out."""
    from watcher.cli.present import LEGEND, change_lines, diff_lines, flag_lines

    d = app.service.diff(trial, from_, to)
    trial_id = d.new.trial_id
    if as_json:
        echo_json(
            {
                "trial_id": trial_id,
                "from": d.old.version,
                "to": d.new.version,
                "changes": [c.to_json() for c in d.changes],
                "flags": [f.to_json() for f in d.flags],
                "since_start": [c.to_json() for c in d.since_start],
                "reviewed_by": d.new.reviewed_by,
                "reviewed_at": iso(d.new.reviewed_at),
                "review_note": d.new.review_note,
            }
        )
        return
    if d.old.version == d.new.version and from_ is None:
        click.echo(f"{trial_id}: only one version stored so far.")
        for line in flag_lines(d.flags):
            click.echo(line)
        return
    for line in diff_lines(trial_id, d.old, d.new, d.changes, d.flags):
        click.echo(line)
    if d.new.reviewed_by:
        note = f": {d.new.review_note}" if d.new.review_note else ""
        click.echo(f"Reviewed by {d.new.reviewed_by}, {when(d.new.reviewed_at)}{note}")
    if d.since_start:
        click.echo(
            f"Major changes since we started watching (version 1, {d.first.fetched_at:%Y-%m-%d}):"
        )
        for change in d.since_start:
            for line in change_lines(change):
                click.echo(f"  {line}")
    if d.changes or d.since_start:
        click.echo(LEGEND)


@cli.command()
@click.argument("ids", nargs=-1)
@pass_app
def reparse(app: App, ids: tuple[str, ...]) -> None:
    """Read stored versions again from their kept payloads with the current parsers (every
    trial when no ID is given), so that history shows what the registers changed only."""
    results = app.service.reparse(ids)
    for r in results:
        if r.reread:
            versions = ", ".join(map(str, r.reread))
            click.echo(
                f"{r.trial_id}: version{'s' if len(r.reread) > 1 else ''} {versions} read again"
            )
        if r.dropped:
            dropped = ", ".join(map(str, r.dropped))
            click.echo(f"{r.trial_id}: dropped {dropped}: no change but the old parser's reading")
    touched = sum(1 for r in results if r.reread or r.dropped)
    click.echo(
        f"Read {sum(r.read for r in results)} version(s) of {len(results)} trial(s) again: "
        f"{touched} trial(s) read differently by the current parsers."
    )


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--note", help="What was done about the changes (kept with the review).")
@click.option("--by", help="Who reviewed them (default: your login name).")
@pass_app
def review(app: App, ids: tuple[str, ...], note: str | None, by: str | None) -> None:
    """Mark every change of these trials found so far as reviewed (for the audit trail)."""
    import getpass

    who = by or getpass.getuser()
    marked = app.service.review(ids, who, note)
    click.echo(f"{marked} version(s) with changes marked reviewed by {who}.")
