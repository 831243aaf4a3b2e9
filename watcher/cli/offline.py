"""Commands on saved register payloads, with no database: parse, compare."""

from __future__ import annotations

import click

from watcher.cli.app import App, cli, echo_json, format_option, json_option, pass_app, warn


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@format_option("The register format of the file.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout (the default output).")
@pass_app
def parse(app: App, file: str, source: str, as_json: bool) -> None:
    """Normalize a saved registry payload offline; prints a JSON array of records."""
    parsed = app.service.parse_file(file, source)
    for warning in parsed.warnings:
        warn(str(warning))
    echo_json(list(parsed.records))


@cli.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@format_option("The register format of both files.")
@json_option
@pass_app
def compare(app: App, old: str, new: str, source: str, as_json: bool) -> None:
    """Compare two saved payloads of one source (two ICTRP exports, say) record by record,
    offline: what changed, what was added, what was removed."""
    from watcher.cli.present import LEGEND, change_lines
    from watcher.core.diff import summarize

    c = app.service.compare_files(old, new, source)
    for warning in c.warnings:
        warn(str(warning))
    if as_json:
        echo_json(
            {
                "changed": [
                    {"trial_id": t, "changes": [x.to_json() for x in cs]} for t, cs in c.changed
                ],
                "added": list(c.added),
                "removed": list(c.removed),
            }
        )
        return
    for trial_id, changes in c.changed:
        counts = summarize(changes)
        click.echo(
            f"{trial_id}: {counts['major']} major, {counts['minor']} minor, "
            f"{counts['metadata']} metadata"
        )
        for change in changes:
            for line in change_lines(change):
                click.echo(f"  {line}")
    for trial_id in c.added:
        click.echo(f"{trial_id}: added (not in {old})")
    for trial_id in c.removed:
        click.echo(
            f"{trial_id}: removed (not in {new}; one absence from an export is not "
            "always a deletion)"
        )
    click.echo(
        f"{c.before} records in {old}, {c.after} in {new}: {len(c.changed)} changed, "
        f"{len(c.added)} added, {len(c.removed)} removed. {LEGEND}"
    )
