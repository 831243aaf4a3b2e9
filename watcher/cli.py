"""The command line (contract §1): the only module that prints or exits.

Every expected failure is a ``WatcherError``, shown as ``Error: <what>: <why>`` with no
traceback unless ``-v``; bad input exits 2, a failed check 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson

from watcher import __version__
from watcher.config import Settings, format_duration, load
from watcher.diff import diff_records, since_start, summarize
from watcher.errors import (
    ConfigError,
    InputError,
    InvalidTrialId,
    UnknownTrial,
    WatcherError,
)
from watcher.flags import red_flags
from watcher.ids import TrialId, parse_trial_id
from watcher.importing import read_trial_ids
from watcher.logs import configure_logging
from watcher.model import CheckOutcome, Watch
from watcher.present import (
    LEGEND,
    change_lines,
    diff_lines,
    flag_lines,
    history_table,
    record_lines,
    watch_table,
    when,
)
from watcher.registries import SOURCES, UnknownSource, source_for
from watcher.store import Repository, make_engine, open_repository, upgrade

if TYPE_CHECKING:  # imported where used: jinja2 is not loaded for every command
    from watcher.report import ReportContext

BAD_INPUT = (InvalidTrialId, InputError, UnknownTrial, ConfigError, UnknownSource)


class Failed(click.ClickException):
    """Shown as ``Error: ...``; exit 1."""


class BadInput(click.ClickException):
    """Shown as ``Error: ...``; exit 2, as for usage errors."""

    exit_code = 2


@dataclass
class App:
    """What the commands share, made on first use: `parse` needs no database."""

    config_path: str | None
    verbose: int
    _settings: Settings | None = None
    _repo: Repository | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load(self.config_path)
        return self._settings

    @property
    def repo(self) -> Repository:
        if self._repo is None:
            self._repo = open_repository(self.settings.database.url)
            self._closers.append(self._repo.engine.dispose)
        return self._repo

    def close(self) -> None:
        for closer in self._closers:
            closer()


class WatcherGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WatcherError as e:
            if ctx.obj is not None and ctx.obj.verbose:
                raise
            raise (BadInput if isinstance(e, BAD_INPUT) else Failed)(str(e)) from None
        finally:
            if ctx.obj is not None:
                ctx.obj.close()


def _json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@contextmanager
def _progress(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr, so --json stays clean); silence otherwise."""
    if not enabled or total < 2 or not sys.stderr.isatty():
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


@click.group(cls=WatcherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $WATCHER_CONFIG, else ./watcher.toml).",
)
@click.option("-v", "--verbose", count=True, help="Log each check; -vv for HTTP; tracebacks.")
@click.version_option(__version__, prog_name="watcher")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Watch clinical-trial registry records and report what changed."""
    configure_logging(verbose)
    ctx.obj = App(config_path, verbose)


pass_app = click.make_pass_decorator(App)


def format_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--source NAME`` of the offline commands: which register format a file is."""
    return click.option("--source", required=True, type=click.Choice(sorted(SOURCES)), help=help)


# -- the watch list ---------------------------------------------------------------------------


def _new_watches(
    app: App, ids: Sequence[TrialId], source: str | None, label: str | None, tags: Sequence[str]
) -> list[Watch]:
    return [
        Watch(
            tid.value,
            tid.registry,
            source_for(tid.value, tid.registry, source, app.settings).name,
            label,
            tuple(tags),
        )
        for tid in ids
    ]


def _baseline(app: App, trial_ids: Sequence[str]) -> list[CheckOutcome]:
    from watcher.http import make_client
    from watcher.pipeline import Checker

    watches = [app.repo.watch(tid) for tid in trial_ids]
    with (
        make_client(app.settings.http) as client,
        _progress(len(watches), "Fetching", True) as advance,
    ):
        return Checker(app.settings, app.repo, client).check(watches, progress=advance)


def _members_line(o: CheckOutcome) -> str:
    return (
        f"{o.trial_id}: the whole trial, {len(o.members)} member record(s): {', '.join(o.members)}"
    )


def _report_baselines(outcomes: Sequence[CheckOutcome]) -> None:
    for o in outcomes:
        if o.members:
            click.echo(_members_line(o))
        elif o.kind == "failed":
            click.echo(
                f"Warning: {o.trial_id}: no baseline yet: {o.error}; "
                "it is tried again at the next check",
                err=True,
            )
        elif o.kind == "baseline":
            click.echo(f"{o.trial_id}: baseline version {o.version} stored.")
        else:
            click.echo(f"{o.trial_id}: {o.kind} (version {o.version}).")


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--source", help=f"Adapter that fetches them ({', '.join(sorted(SOURCES))}).")
@click.option("--label", help="A name for the trial in lists and reports.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--no-fetch", is_flag=True, help="Do not fetch a baseline version now.")
@pass_app
def add(
    app: App,
    ids: tuple[str, ...],
    source: str | None,
    label: str | None,
    tags: tuple[str, ...],
    no_fetch: bool,
) -> None:
    """Start watching trials (all IDs are checked before any is stored)."""
    parsed = [parse_trial_id(text) for text in ids]
    watches = _new_watches(app, parsed, source, label, tags)
    from watcher.pipeline import utcnow

    added = set(app.repo.add_watches(watches, utcnow()))
    for w in watches:
        click.echo(
            f"{'Watching' if w.trial_id in added else 'Already watching'} "
            f"{w.trial_id} ({w.source})."
        )
    if not no_fetch:
        _report_baselines(_baseline(app, [w.trial_id for w in watches]))


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", help="Adapter that fetches them.")
@click.option("--tag", "tags", multiple=True, help="A tag for every imported trial.")
@click.option("--no-fetch", is_flag=True, help="Do not fetch baseline versions now.")
@pass_app
def import_(app: App, file: str, source: str | None, tags: tuple[str, ...], no_fetch: bool) -> None:
    """Watch every trial ID in a CSV or text list (all or nothing)."""
    parsed = read_trial_ids(file)
    watches = _new_watches(app, parsed, source, None, tags)
    from watcher.pipeline import utcnow

    added = app.repo.add_watches(watches, utcnow())
    click.echo(
        f"{len(parsed)} trial IDs in {file}: {len(added)} newly watched, "
        f"{len(parsed) - len(added)} already watched."
    )
    if not no_fetch:
        outcomes = _baseline(app, [w.trial_id for w in watches if w.trial_id in set(added)])
        failed = [o for o in outcomes if o.kind == "failed"]
        click.echo(f"Baselines: {len(outcomes) - len(failed)} stored, {len(failed)} failed.")
        for o in failed:
            click.echo(f"Warning: {o.trial_id}: no baseline yet: {o.error}", err=True)


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@pass_app
def remove(app: App, ids: tuple[str, ...]) -> None:
    """Stop watching trials; their history is kept."""
    from watcher.pipeline import utcnow

    trial_ids = [parse_trial_id(text).value for text in ids]
    app.repo.remove(trial_ids, utcnow())
    for tid in trial_ids:
        click.echo(f"Stopped watching {tid} (history kept).")


def _watch_json(w: Watch) -> dict[str, Any]:
    return {
        "trial_id": w.trial_id,
        "source": w.source,
        "label": w.label,
        "tags": list(w.tags),
        "last_checked_at": _iso(w.last_checked_at),
        "last_changed_at": _iso(w.last_changed_at),
        "status": w.status,
        "registry": w.registry,
        "versions": w.versions,
        "consecutive_failures": w.consecutive_failures,
        "last_error": w.last_error,
        "redirected_to": w.redirected_to,
    }


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option("--tag", help="Only trials with this tag.")
@pass_app
def list_(app: App, as_json: bool, tag: str | None) -> None:
    """The watched trials."""
    watches = app.repo.watches(tag=tag)
    if as_json:
        _json([_watch_json(w) for w in watches])
        return
    if not watches:
        click.echo("No trials watched. Start with: watcher add NCT04267848")
        return
    for line in watch_table(watches):
        click.echo(line)


# -- checking ---------------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
def check(app: App, ids: tuple[str, ...], as_json: bool) -> None:
    """Fetch now (every watched trial when no ID is given) and print what changed."""
    from watcher.http import make_client
    from watcher.pipeline import Checker

    _deliver(app)  # what earlier runs could not send goes first
    if ids:
        watches = [app.repo.watch(parse_trial_id(text).value) for text in ids]
    else:
        watches = app.repo.watches()
    with (
        make_client(app.settings.http) as client,
        _progress(len(watches), "Checking", not as_json) as advance,
    ):
        outcomes = Checker(app.settings, app.repo, client).check(watches, progress=advance)
    _alert(app, outcomes)
    failed = [o for o in outcomes if o.kind == "failed"]
    if as_json:
        _json(
            {
                "checked": len(outcomes),
                "changed": [o.trial_id for o in outcomes if o.kind == "changed"],
                "new": [o.trial_id for o in outcomes if o.kind == "baseline"],
                "failed": [{"trial_id": o.trial_id, "error": o.error} for o in failed],
            }
        )
    else:
        _print_outcomes(outcomes)
    if failed:
        raise SystemExit(1)


def _notifying(app: App) -> bool:
    return app.settings.email.enabled or bool(app.settings.apprise_urls)


def _alert(app: App, outcomes: Sequence[CheckOutcome]) -> None:
    """Queue the alert of a check run (one message per run, never one per change), send it."""
    if not _notifying(app):
        return
    from watcher.delivery import queue
    from watcher.pipeline import utcnow
    from watcher.report import alert_context, to_messages

    now = utcnow()
    watches = {w.trial_id: w for w in app.repo.watches(include_removed=True)}
    ctx = alert_context(outcomes, watches, app.settings, now)
    if ctx is not None:
        queue(app.repo, to_messages(ctx, app.settings, "alert"), now)
    _deliver(app)


def _deliver(app: App) -> bool:
    """Send what the outbox holds that is due; warn, never fail, when it cannot."""
    if not _notifying(app):
        return True
    from watcher.delivery import deliver
    from watcher.notify import Sender, SmtpSender
    from watcher.pipeline import utcnow

    senders: dict[str, Sender] = {}
    if app.settings.email.enabled:
        senders["email"] = SmtpSender(app.settings.email)
    if app.settings.apprise_urls:
        from watcher.notify.apprise import AppriseSender

        senders["apprise"] = AppriseSender(app.settings.apprise_urls)
    result = deliver(app.repo, senders, utcnow(), app.settings.email.retry_after)
    for error in result.errors:
        click.echo(f"Warning: not sent: {error}; it stays queued", err=True)
    return result.failed == 0


def _print_outcomes(outcomes: Sequence[CheckOutcome]) -> None:
    for o in outcomes:
        if o.members:
            click.echo(_members_line(o))
        if o.redirected_to:
            click.echo(
                f"{o.trial_id}: the register now answers as {o.redirected_to} (alias redirected)"
            )
        if o.kind == "changed":
            click.echo(f"{o.trial_id}: {len(o.changes)} change(s), version {o.version}")
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


# -- reading the history ----------------------------------------------------------------------


@cli.command()
@click.argument("trial")
@click.option("--version", "number", type=int, help="Version number (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
def show(app: App, trial: str, number: int | None, as_json: bool) -> None:
    """A stored normalized record."""
    version = app.repo.version(parse_trial_id(trial).value, number)
    if as_json:
        _json(version.record)
        return
    click.echo(
        f"{version.trial_id}, version {version.version}, fetched "
        f"{version.fetched_at:%Y-%m-%d %H:%M} UTC from {version.source}"
    )
    for line in record_lines(version.record):
        click.echo(line)


@cli.command()
@click.argument("trial")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
def history(app: App, trial: str, as_json: bool) -> None:
    """The versions of a trial, oldest first."""
    trial_id = parse_trial_id(trial).value
    versions = app.repo.history(trial_id)
    if as_json:
        _json(
            [
                {
                    "version": v.version,
                    "fetched_at": _iso(v.fetched_at),
                    "content_hash": v.content_hash,
                    "changes": v.changes,
                    "source": v.source,
                }
                for v in versions
            ]
        )
        return
    if not versions:
        click.echo(f"{trial_id}: no version stored yet.")
        return
    for line in history_table(versions):
        click.echo(line)


@cli.command()
@click.argument("trial")
@click.option("--from", "from_", type=int, help="Older version (default: the one before --to).")
@click.option("--to", type=int, help="Newer version (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
def diff(app: App, trial: str, from_: int | None, to: int | None, as_json: bool) -> None:
    """Field changes between two versions (default: the last two), and red flags.

    --from 1 compares with the first version seen: changes made and reverted between two
    checks cancel out, and what a trial changed since we started watching stands out."""
    trial_id = parse_trial_id(trial).value
    new = app.repo.version(trial_id, to)
    old = app.repo.version(trial_id, from_ if from_ is not None else max(new.version - 1, 1))
    changes = diff_records(old.record, new.record, app.settings.diff)
    versions = [v for v in app.repo.history(trial_id) if v.version <= new.version]
    flags = red_flags([v.record for v in versions], date.today(), app.settings.flags)
    first = versions[0]
    start = since_start(first.record, new.record, app.settings.diff) if old.version > 1 else []
    if as_json:
        _json(
            {
                "trial_id": trial_id,
                "from": old.version,
                "to": new.version,
                "changes": [c.to_json() for c in changes],
                "flags": [f.to_json() for f in flags],
                "since_start": [c.to_json() for c in start],
            }
        )
        return
    if old.version == new.version and from_ is None:
        click.echo(f"{trial_id}: only one version stored so far.")
        for line in flag_lines(flags):
            click.echo(line)
        return
    for line in diff_lines(trial_id, old, new, changes, flags):
        click.echo(line)
    if start:
        click.echo(
            f"Major changes since we started watching (version 1, {first.fetched_at:%Y-%m-%d}):"
        )
        for change in start:
            for line in change_lines(change):
                click.echo(f"  {line}")
    if changes or start:
        click.echo(LEGEND)


@cli.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@format_option("The register format of both files.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
def compare(app: App, old: str, new: str, source: str, as_json: bool) -> None:
    """Compare two saved payloads of one source (two ICTRP exports, say) record by record,
    offline: what changed, what was added, what was removed."""
    from watcher.registries import get

    adapter = get(source, app.settings)
    before = {r["trial_id"]: r for r in adapter.parse_file(_read(old), old)}
    after = {r["trial_id"]: r for r in adapter.parse_file(_read(new), new)}
    changed = []
    for trial_id in (t for t in before if t in after):
        changes = diff_records(before[trial_id], after[trial_id], app.settings.diff)
        if changes:
            changed.append((trial_id, changes))
    added = [t for t in after if t not in before]
    removed = [t for t in before if t not in after]
    if as_json:
        _json(
            {
                "changed": [
                    {"trial_id": t, "changes": [c.to_json() for c in cs]} for t, cs in changed
                ],
                "added": added,
                "removed": removed,
            }
        )
        return
    for trial_id, changes in changed:
        counts = summarize(changes)
        click.echo(
            f"{trial_id}: {counts['major']} major, {counts['minor']} minor, "
            f"{counts['metadata']} metadata"
        )
        for change in changes:
            for line in change_lines(change):
                click.echo(f"  {line}")
    for trial_id in added:
        click.echo(f"{trial_id}: added (not in {old})")
    for trial_id in removed:
        click.echo(
            f"{trial_id}: removed (not in {new}; one absence from an export is not "
            "always a deletion)"
        )
    click.echo(
        f"{len(before)} records in {old}, {len(after)} in {new}: {len(changed)} changed, "
        f"{len(added)} added, {len(removed)} removed. {LEGEND}"
    )


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InputError(path, f"cannot read it ({e.strerror})") from None


def _digest_context(app: App, now: datetime, since: date | None = None) -> ReportContext:
    """The digest due now: from where the last one ended (or ``since``) to now."""
    from watcher.report import digest_period, period_context

    start, end = digest_period(app.repo, now, since)
    return period_context(app.repo, app.settings, start, end, kind="digest")


def _send_digest(app: App, ctx: ReportContext, now: datetime) -> bool:
    """Queue the digest behind what is already queued, and send them; False when any failed
    (they stay queued)."""
    from watcher.delivery import queue
    from watcher.report import to_messages

    _deliver(app)  # older messages first
    queue(app.repo, to_messages(ctx, app.settings, "digest"), now)
    return _deliver(app)


# -- reports ----------------------------------------------------------------------------------


def _write(out: str | None, text: str) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(out, f"cannot write it ({e.strerror})") from None
    click.echo(f"Wrote {out}", err=True)


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
    from watcher.pipeline import utcnow
    from watcher.report import render

    if send and not _notifying(app):
        raise ConfigError(
            app.settings.origin,
            "email.enabled",
            "e-mail is off (and no notify.apprise_urls); set it to true (and smtp_host, "
            "from, to) to send",
        )
    now = utcnow()
    ctx = _digest_context(app, now, since.date() if since else None)
    if out is not None:
        html = out.endswith((".html", ".htm"))
        _write(out, render(ctx, "digest.html.j2" if html else "digest.txt.j2", app.settings))
    if not send:
        if out is None:
            click.echo(render(ctx, "digest.txt.j2", app.settings), nl=False)
        return
    if not _send_digest(app, ctx, now):
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
    from watcher.pipeline import utcnow
    from watcher.report import history_context, period_context, render, render_atom

    now = utcnow()
    if trial is not None:
        ctx = history_context(app.repo, app.settings, parse_trial_id(trial).value, now)
    else:
        start = (
            datetime(since.year, since.month, since.day, tzinfo=UTC)
            if since
            else now - timedelta(days=7)
        )
        ctx = period_context(app.repo, app.settings, start, now, kind="report")
    if fmt == "atom":
        _write(out, render_atom(ctx))
    else:
        template = "report.html.j2" if fmt == "html" else "report.txt.j2"
        _write(out, render(ctx, template, app.settings))


# -- offline ----------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@format_option("The register format of the file.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout (the default output).")
@pass_app
def parse(app: App, file: str, source: str, as_json: bool) -> None:
    """Normalize a saved registry payload offline; prints a JSON array of records."""
    from watcher.registries import get

    _json(get(source, app.settings).parse_file(_read(file), file))


# -- the daemon ---------------------------------------------------------------------------------


@cli.command()
@pass_app
def run(app: App) -> None:
    """The daemon: check every watched trial on schedule and send the digest, until SIGTERM."""
    from watcher.http import make_client
    from watcher.logs import configure_logging
    from watcher.schedule import Daemon

    # One line per check for journald (it adds the time), even without -v.
    configure_logging(max(app.verbose, 1))

    def on_outcomes(outcomes: list[CheckOutcome]) -> None:
        _alert(app, outcomes)

    def digest() -> None:
        from watcher.pipeline import utcnow

        if _notifying(app):
            now = utcnow()
            _send_digest(app, _digest_context(app, now), now)

    with make_client(app.settings.http) as client:
        Daemon(
            app.settings,
            app.repo,
            client,
            on_outcomes=on_outcomes,
            deliver=lambda: _deliver(app),
            digest=digest,
        ).run()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """When the daemon last completed a cycle; trials due, failing and stale. Exit 1 when no
    cycle completed for two check intervals (for monitoring)."""
    from watcher.pipeline import utcnow

    now = utcnow()
    state = app.repo.daemon_state()
    watches = app.repo.watches()
    interval = app.settings.schedule.check_interval
    threshold = app.settings.schedule.failures_before_alert
    due = [w for w in watches if w.next_check_at is None or w.next_check_at <= now]
    failing = [w for w in watches if w.is_failing(threshold)]
    stale = [w for w in watches if w.is_stale(now, interval)]
    queued = app.repo.outbox(status="queued")
    last = state.last_cycle_at if state else None
    healthy = last is not None and last >= now - 2 * interval
    if as_json:
        _json(
            {
                "healthy": healthy,
                "last_cycle_at": _iso(last),
                "daemon": None
                if state is None
                else {
                    "started_at": _iso(state.started_at),
                    "pid": state.pid,
                    "host": state.host,
                    "cycles": state.cycles,
                },
                "watched": len(watches),
                "due": len(due),
                "failing": [w.trial_id for w in failing],
                "stale": [w.trial_id for w in stale],
                "queued_messages": len(queued),
            }
        )
    else:
        if state is None:
            click.echo("The daemon has never completed a cycle (is `watcher run` running?).")
        else:
            click.echo(
                f"Last cycle: {when(last)} (cycle {state.cycles} of the daemon started "
                f"{when(state.started_at)}, pid {state.pid} on {state.host})"
            )
        click.echo(
            f"Watched: {len(watches)}; due now: {len(due)}; failing: {len(failing)}; "
            f"stale (no success for two intervals): {len(stale)}; messages queued: "
            f"{len(queued)}"
        )
        for w in failing:
            click.echo(f"  failing: {w.trial_id} since {when(w.failing_since)}: {w.last_error}")
        for w in stale:
            click.echo(f"  stale: {w.trial_id}, last success {when(w.last_success_at)}")
        if not healthy:
            click.echo(f"No cycle completed in the last {format_duration(2 * interval)}.")
    if not healthy:
        raise SystemExit(1)


# -- the database -----------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command(name="upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Apply the schema migrations (new databases are upgraded on first use anyway)."""
    engine = make_engine(app.settings.database.url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"Database {engine.url.render_as_string(hide_password=True)} is up to date.")


def main(argv: Sequence[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="watcher", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as e:
        if (
            "-v" in sys.argv
            or "--verbose" in sys.argv
            or any(a.startswith("-vv") for a in sys.argv)
        ):
            raise
        click.echo(
            f"Error: internal error: {type(e).__name__}: {e} (run with -v for the traceback)",
            err=True,
        )
        sys.exit(1)
