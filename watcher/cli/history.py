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
    """A stored normalized record (a whole EUCTR trial: each of its member states')."""
    members = _members(app, trial, number)
    if as_json:
        shown = [_record_json(app, tid, number) for tid in members or [trial]]
        echo_json({"trial_id": _whole(trial), "members": shown} if members else shown[0])
        return
    for i, tid in enumerate(members or [trial]):
        if i:
            click.echo("")
        _show_one(app, tid, number)


def _whole(trial: str) -> str:
    return parse_trial_id(trial).value


def _members(app: App, trial: str, number: int | None = None) -> list[str]:
    """The member-state records of a whole EUCTR trial (none for any other ID); a version
    number belongs to one record, so it asks for one of them."""
    members = app.service.members(_whole(trial))
    if members and number is not None:
        raise click.UsageError(
            f"{_whole(trial)} is a whole trial: a version number belongs to one of its member "
            f"states ({', '.join(members)})"
        )
    return members


def _record_json(app: App, trial: str, number: int | None) -> dict[str, object]:
    from watcher.core.links import linked_ids

    version = app.service.version(trial, number)
    linked = app.service.linked(version.trial_id, linked_ids(version.record))
    return {**version.record, "linked": [link.to_json() for link in linked]}


def _show_one(app: App, trial: str, number: int | None) -> None:
    from watcher.cli.present import record_lines
    from watcher.core.links import linked_ids

    version = app.service.version(trial, number)
    linked = app.service.linked(version.trial_id, linked_ids(version.record))
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
    """The versions of a trial, oldest first (a whole EUCTR trial: its member states')."""
    from watcher.cli.present import history_table

    members = _members(app, trial)
    if as_json:
        echo_json(
            [
                {
                    **({"trial_id": tid} if members else {}),
                    "version": v.version,
                    "fetched_at": iso(v.fetched_at),
                    "content_hash": v.content_hash,
                    "changes": v.changes,
                    "source": v.source,
                    "reviewed_by": v.reviewed_by,
                    "reviewed_at": iso(v.reviewed_at),
                    "review_note": v.review_note,
                }
                for tid in members or [trial]
                for v in app.service.history(tid)
            ]
        )
        return
    for i, tid in enumerate(members or [trial]):
        versions = app.service.history(tid)
        if members:
            click.echo(f"{tid}:" if not i else f"\n{tid}:")
        if not versions:
            click.echo(f"{parse_trial_id(tid).value}: no version stored yet.")
            continue
        for line in history_table(versions):
            click.echo(line)


@cli.command()
@click.argument("trial")
@click.option("--from", "from_", type=int, help="Older version (default: the one before --to).")
@click.option("--to", type=int, help="Newer version (default: the newest).")
@json_option
@pass_app
def diff(app: App, trial: str, from_: int | None, to: int | None, as_json: bool) -> None:
    """Field changes between two versions (default: the last two), and red flags (a whole
    EUCTR trial: each of its member states' last change).

    --from 1 compares with the first version seen: changes made and reverted between two
    checks cancel out, and what a trial changed since we started watching stands out."""
    members = _members(app, trial, from_ if from_ is not None else to)
    if as_json and members:
        echo_json({"trial_id": _whole(trial), "members": [_diff_json(app, m) for m in members]})
        return
    if as_json:
        echo_json(_diff_json(app, trial, from_, to))
        return
    for i, tid in enumerate(members or [trial]):
        if i:
            click.echo("")
        _diff_one(app, tid, from_, to)


def _diff_json(
    app: App, trial: str, from_: int | None = None, to: int | None = None
) -> dict[str, object]:
    d = app.service.diff(trial, from_, to)
    return {
        "trial_id": d.new.trial_id,
        "from": d.old.version,
        "to": d.new.version,
        "changes": [c.to_json() for c in d.changes],
        "flags": [f.to_json() for f in d.flags],
        "since_start": [c.to_json() for c in d.since_start],
        "reviewed_by": d.new.reviewed_by,
        "reviewed_at": iso(d.new.reviewed_at),
        "review_note": d.new.review_note,
    }


def _diff_one(app: App, trial: str, from_: int | None, to: int | None) -> None:
    from watcher.cli.present import LEGEND, change_lines, diff_lines, flag_lines

    d = app.service.diff(trial, from_, to)
    trial_id = d.new.trial_id
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
@click.option(
    "--to",
    "to",
    type=click.IntRange(min=1),
    help="Only up to this version (the one you looked at; one trial): a version stored since "
    "stays unreviewed.",
)
@pass_app
def review(
    app: App, ids: tuple[str, ...], note: str | None, by: str | None, to: int | None
) -> None:
    """Mark every change of these trials found so far as reviewed (for the audit trail)."""
    import getpass

    who = by or getpass.getuser()
    marked = app.service.review(ids, who, note, to=to)
    click.echo(f"{marked} version(s) with changes marked reviewed by {who}.")
