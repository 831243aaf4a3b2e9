"""The ``watcher`` group: global options, the service the commands share, and how errors end.

Every expected failure is a ``WatcherError``, shown as ``Error: <what>: <why>`` with no
traceback unless ``-v``; bad input exits 2, a failed check 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from watcher import __version__
from watcher.errors import (
    ConfigError,
    InputError,
    InvalidTrialId,
    UnknownSearch,
    UnknownSource,
    UnknownTrial,
    WatcherError,
)
from watcher.registers import SOURCES

if TYPE_CHECKING:
    from watcher.config import Settings
    from watcher.service import Service

BAD_INPUT = (InvalidTrialId, InputError, UnknownTrial, UnknownSearch, ConfigError, UnknownSource)


class Failed(click.ClickException):
    """Shown as ``Error: ...``; exit 1."""


class BadInput(click.ClickException):
    """Shown as ``Error: ...``; exit 2, as for usage errors."""

    exit_code = 2


@dataclass
class App:
    """What the commands share, made on first use: `parse` opens no database."""

    config_path: str | None
    verbose: int
    _settings: Settings | None = None
    _service: Service | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from watcher.config import load

            self._settings = load(self.config_path)
        return self._settings

    @property
    def service(self) -> Service:
        if self._service is None:
            from watcher.clock import clock_from
            from watcher.service import Service

            self._service = Service(self.settings, clock=clock_from())
        return self._service

    def close(self) -> None:
        if self._service is not None:
            self._service.close()


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


def echo_json(value: Any) -> None:
    import orjson

    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def warn(text: str) -> None:
    click.echo(f"Warning: {text}", err=True)


def warn_not_sent(errors: Sequence[str]) -> None:
    for error in errors:
        warn(f"not sent: {error}; it stays queued")


@contextmanager
def progress(
    total: int | Callable[[], int], label: str, enabled: bool
) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr, so --json stays clean); silence otherwise.
    ``total`` may be counted only when a bar is shown (a whole watch list is no free count)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _n: None
        return
    total = total() if callable(total) else total
    if total < 2:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def write_out(out: str | None, text: str) -> None:
    """``text`` to the file ``out``, or to stdout."""
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(out, f"cannot write it ({e.strerror})") from None
    click.echo(f"Wrote {out}", err=True)


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
    from watcher.logs import configure_logging

    configure_logging(verbose)
    ctx.obj = App(config_path, verbose)


pass_app = click.make_pass_decorator(App)
json_option = click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")


def format_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--source NAME`` of the offline commands: which register format a file is."""
    return click.option("--source", required=True, type=click.Choice(sorted(SOURCES)), help=help)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command(name="upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Apply the schema migrations (new databases are upgraded on first use anyway)."""
    click.echo(f"Database {app.service.upgrade_database()} is up to date.")


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
