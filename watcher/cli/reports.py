"""Commands that write reports and the digest."""

from __future__ import annotations

from datetime import datetime

import click

from watcher.cli.app import App, Failed, cli, pass_app, warn_not_sent, write_out


@cli.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Start of the period (default: where the last digest ended, else a week).",
)
@click.option("--send", is_flag=True, help="Queue the digest and e-mail it.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Also write it to a file: HTML for a .html name, text otherwise.",
)
@pass_app
def digest(app: App, since: datetime | None, send: bool, out: str | None) -> None:
    """Build (and with --send, e-mail) the weekly digest: every change since the last one."""
    service = app.service
    if send:
        service.require_notifying()
    ctx = service.digest(since.date() if since else None)
    if out is not None:
        html = out.endswith((".html", ".htm"))
        write_out(out, service.render(ctx, "html" if html else "text"))
    if not send:
        if out is None:
            click.echo(service.render(ctx, "text"), nl=False)
        return
    delivery = service.send_digest(ctx)
    warn_not_sent(delivery.errors)
    if delivery.failed:
        raise Failed(
            "the digest could not be sent; it stays queued and goes out with the next "
            "check, digest --send or daemon cycle"
        )
    click.echo(
        f"Digest for {ctx.period_start:%Y-%m-%d %H:%M} to {ctx.period_end:%Y-%m-%d %H:%M} "
        "UTC sent: "
        f"{len(ctx.trials)} trial(s) changed."
    )


@cli.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Start of the period (default: a week ago).",
)
@click.option("--trial", "trial", help="One trial's whole history instead of a period.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "text", "atom"]),
    default="text",
    show_default=True,
    help="html: one page to open from disk; atom: a feed.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to a file, not stdout.")
@pass_app
def report(app: App, since: datetime | None, trial: str | None, fmt: str, out: str | None) -> None:
    """Render the changes of a period, or one trial's history with its timeline."""
    ctx = app.service.report(since.date() if since else None, trial)
    write_out(out, app.service.render(ctx, fmt))


@cli.command()
@click.argument("trials", nargs=-1)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only the changes found on or after this day.",
)
@click.option("--tag", help="Only the trials with this tag.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "html"]),
    default="csv",
    show_default=True,
    help="csv: for a spreadsheet; html: one page to print and file.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to a file, not stdout.")
@pass_app
def export(
    app: App,
    trials: tuple[str, ...],
    since: datetime | None,
    tag: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """The change log for filing: one row per change, with its review. Of these trials, or
    of every watched one (those with --tag), the changes found since --since."""
    write_out(out, app.service.export(trials, fmt, since=since.date() if since else None, tag=tag))
