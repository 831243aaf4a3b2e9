"""What keeps the web view safe: HTTP Basic credentials (every page but ``/healthz``), security
headers on every answer, and anti-forgery tokens on every form (asgi-csrf: a post without the
page's token is refused with 403)."""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path
from typing import Any

from asgi_csrf import asgi_csrf

from watcher.errors import ConfigError

ASGIApp = Any
OPEN_PATHS = frozenset({"/healthz"})
# No script may run: the pages work without JavaScript. Styles are inline, as in the e-mails.
CSP = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
]


def read_credentials(path: str, origin: str) -> tuple[str, str]:
    """``user:password`` (or the password alone, for user ``watcher``) from a file."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(
            origin, "serve.password_file", f"cannot read {path} ({e.strerror})"
        ) from None
    user, sep, password = text.partition(":")
    if not sep:
        user, password = "watcher", text
    if not password:
        raise ConfigError(origin, "serve.password_file", f"{path} holds no password")
    return user, password


def protect(
    app: ASGIApp, credentials: tuple[str, str] | None, anonymous: str, secret: str
) -> ASGIApp:
    """The app behind the anti-forgery check, the credentials check and the headers."""
    guarded = asgi_csrf(app, signing_secret=secret, always_protect={"/review"})

    async def checked(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await guarded(scope, receive, send)
            return

        async def with_headers(event: Any) -> None:
            if event["type"] == "http.response.start":
                event = {**event, "headers": [*event.get("headers", []), *HEADERS]}
            await send(event)

        user = _user(scope, credentials)
        if user is None and scope["path"] not in OPEN_PATHS:
            await _unauthorized(with_headers)
            return
        scope = {**scope, "state": {**scope.get("state", {}), "user": user or anonymous}}
        await guarded(scope, receive, with_headers)

    return checked


def _user(scope: Any, credentials: tuple[str, str] | None) -> str | None:
    """The signed-in user; on loopback without a password file, everyone is anonymous."""
    if credentials is None:
        return ""
    header = dict(scope.get("headers") or []).get(b"authorization", b"")
    if not header.startswith(b"Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    expected_user, expected_password = credentials
    ok_user = secrets.compare_digest(user.encode(), expected_user.encode())
    ok_password = secrets.compare_digest(password.encode(), expected_password.encode())
    return user if ok_user and ok_password else None


async def _unauthorized(send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"www-authenticate", b'Basic realm="watcher", charset="UTF-8"'),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"Sign in to see this page.\n"})
