"""Where the web view may listen, and uvicorn serving it until SIGTERM."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import signal
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from watcher.errors import ConfigError

if TYPE_CHECKING:
    from watcher.service import Service

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(service: Service, host: str | None = None, port: int | None = None) -> None:
    """Serve the web view on ``host:port`` (the config's by default) until SIGTERM. Anywhere
    but loopback it needs ``serve.password_file``: every page but ``/healthz`` then asks for
    HTTP Basic credentials."""
    import uvicorn

    from watcher.web.app import make_app
    from watcher.web.guard import protect
    from watcher.web.users import read_users

    settings = service.settings
    host = host or settings.serve.host
    port = port or settings.serve.port
    path = settings.serve.password_file
    if not path and not is_loopback(host):
        raise ConfigError(
            settings.origin,
            "serve.password_file",
            f"watcher serve listens on {host} only with a password file (HTTP Basic "
            "credentials for every page); set serve.password_file, or serve on 127.0.0.1",
        )
    users = read_users(path, settings.origin) if path else None
    service.open()
    secret = signing_secret(secret_path(settings.serve.secret_file, settings.database.url))
    app = protect(make_app(service), users, settings.serve.default_reviewer, secret)
    log.info("watcher serve on http://%s:%d/", host, port)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again for the handler it
    # found; that handler must end quietly for systemd to see exit 0, not 143.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _stopped)
    uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False)
    ).run()


def secret_path(configured: str, database_url: str, env: Mapping[str, str] | None = None) -> Path:
    """Where the forms' signing secret is kept (``serve.secret_file``, see config)."""
    env = os.environ if env is None else env
    if configured:
        return Path(configured).expanduser()
    if state := env.get("STATE_DIRECTORY", "").split(":")[0]:
        return Path(state) / "web-secret"
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        return Path(database_url.removeprefix("sqlite:///")).expanduser().parent / "web-secret"
    return Path("~/.local/state/watcher/web-secret").expanduser()


def signing_secret(path: Path) -> str:
    """The secret in ``path``, made (readable by its owner alone) on first use: forms signed
    before a restart are still good after it."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = ""
    except OSError as e:
        raise ConfigError(
            str(path), "serve.secret_file", f"cannot read it ({e.strerror})"
        ) from None
    if len(text) >= 32:
        return text
    text = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(text + "\n")
    except OSError as e:
        raise ConfigError(
            str(path), "serve.secret_file", f"cannot write it ({e.strerror})"
        ) from None
    log.info("made the web view's form secret in %s", path)
    return text


def _stopped(signum: int, _frame: FrameType | None) -> None:
    log.info("watcher serve stopped (%s)", signal.Signals(signum).name)
