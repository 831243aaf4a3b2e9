"""The command that serves the web view."""

from __future__ import annotations

import click

from watcher.cli.app import App, cli, pass_app


@cli.command()
@click.option("--host", help="Address to listen on (default: serve.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: serve.port, 8470).")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """The office's web view of the watched trials, until SIGTERM."""
    from watcher.logs import configure_logging
    from watcher.web.server import serve as run

    configure_logging(max(app.verbose, 1))
    run(app.service, host, port)
