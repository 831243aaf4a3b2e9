"""What keeps the web view safe: HTTP Basic credentials (every page but ``/healthz``), security
headers on every answer, and anti-forgery tokens on every form (asgi-csrf: a post without the
page's token is refused with 403)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections import defaultdict, deque
from html import escape
from typing import Any
from urllib.parse import parse_qs

from asgi_csrf import asgi_csrf

from watcher.pages import page_path
from watcher.web.users import Users

log = logging.getLogger(__name__)
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


def protect(app: ASGIApp, users: Users | None, anonymous: str, secret: str) -> ASGIApp:
    """The app behind the anti-forgery check, the credentials check and the headers."""
    guarded = asgi_csrf(
        app, signing_secret=secret, always_protect={"/review"}, send_csrf_failed=_refused
    )

    sign_ins = SignIns()

    async def checked(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await guarded(scope, receive, send)
            return

        async def with_headers(event: Any) -> None:
            if event["type"] == "http.response.start":
                event = {**event, "headers": [*event.get("headers", []), *HEADERS]}
            await send(event)

        if scope["path"] not in OPEN_PATHS and sign_ins.blocked(scope):
            await _plain(with_headers, 429, b"Too many failed sign-ins; wait a while.\n")
            return
        user = _user(scope, users)
        if user is None and scope["path"] not in OPEN_PATHS:
            await sign_ins.failed(scope)
            await _unauthorized(with_headers)
            return
        body = await _capped_body(scope, receive)
        if body is None:
            await _plain(with_headers, 413, b"This request is larger than watcher takes.\n")
            return
        state = {**scope.get("state", {}), "user": user or anonymous, "body": body}
        await guarded({**scope, "state": state}, _replay(body, receive), with_headers)

    return checked


def _user(scope: Any, users: Users | None) -> str | None:
    """The signed-in user; on loopback without a password file, everyone is anonymous."""
    if users is None:
        return ""
    header = dict(scope.get("headers") or []).get(b"authorization", b"")
    if not header.startswith(b"Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if users.signed_in(user, password) else None


# A review form (its note included) is a few KB; nothing the view takes comes near this.
MAX_BODY = 256 * 1024


async def _capped_body(scope: Any, receive: Any) -> bytes | None:
    """The request's body, read before the app sees it, up to ``MAX_BODY`` bytes; None when
    it is larger (said by Content-Length, or found while reading a body sent in chunks)."""
    length = dict(scope.get("headers") or []).get(b"content-length", b"0")
    if not length.isdigit() or int(length) > MAX_BODY:
        return None
    parts: list[bytes] = []
    size = 0
    while True:
        event = await receive()
        if event["type"] != "http.request":
            break
        parts.append(event.get("body", b""))
        size += len(parts[-1])
        if size > MAX_BODY:
            return None
        if not event.get("more_body"):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Any) -> Any:
    """The app's ``receive``: the body read already, then the server's own (a disconnect)."""
    sent = False

    async def replayed() -> Any:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class SignIns:
    """Failed sign-ins, by client address: each is logged and answered a second late, and
    past ``LIMIT`` in ``WINDOW`` seconds that address is refused (429), right password or
    not, until they age out."""

    LIMIT = 10
    WINDOW = 600.0
    DELAY = 1.0

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, scope: Any) -> bool:
        failures = self._failures.get(_client(scope))
        if not failures:
            return False
        while failures and failures[0] < time.monotonic() - self.WINDOW:
            failures.popleft()
        return len(failures) >= self.LIMIT

    async def failed(self, scope: Any) -> None:
        """Count a request that came with wrong credentials (none: a browser's first request,
        before it asks for the password, is no failure)."""
        if b"authorization" not in dict(scope.get("headers") or []):
            return
        client = _client(scope)
        self._failures[client].append(time.monotonic())
        log.warning(
            "failed sign-in from %s (%d in the last %d min)",
            client,
            len(self._failures[client]),
            self.WINDOW // 60,
        )
        await asyncio.sleep(self.DELAY)


def _client(scope: Any) -> str:
    return str((scope.get("client") or ("unknown", 0))[0])


async def _refused(scope: Any, send: Any, _why: Any) -> None:
    """A form whose anti-forgery token does not match: nothing is done, and what was typed
    is not lost (the trial's page opens again with the note filled in)."""
    form = parse_qs(scope.get("state", {}).get("body", b"").decode("utf-8", "replace"))
    trial_id = (form.get("trial_id") or [""])[0][:64]
    note = (form.get("note") or [""])[0][:500]
    again = page_path("trial", {"note": note or None}, trial_id=trial_id) if trial_id else "/"
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Not sent</title></head>'
        '<body style="font-family:sans-serif;max-width:40em;margin:2em auto;">'
        "<h1>The form was not sent</h1><p>Its security token no longer matches (the page "
        "was opened in another browser, or its cookies were cleared). Nothing was marked "
        "reviewed.</p>"
        f'<p><a href="{escape(again)}">Open the page again</a>'
        f"{', your note filled in' if note else ''}, and send it from there.</p>"
        + (f"<p>Your note:</p><pre>{escape(note)}</pre>" if note else "")
        + "</body></html>"
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode("utf-8")})


async def _plain(send: Any, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": text})


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
