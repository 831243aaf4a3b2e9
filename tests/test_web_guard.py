"""The web view's door against hostile requests: bodies capped before they are read, failed
sign-ins logged, slowed and then refused, a password file others can read refused."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from watcher.errors import ConfigError
from watcher.web import guard
from watcher.web.users import Users, read_users

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def _app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{len(await request.body())} bytes")

    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"])])
    # /echo is left out of the anti-forgery check, to reach the body's own bounds.
    return guard.protect(app, Users({"alice": "pw"}), "", "secret" * 8)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from starlette.testclient import TestClient

    monkeypatch.setattr(guard.SignIns, "DELAY", 0.01)
    with TestClient(_app(), client=("203.0.113.9", 5000)) as http:
        yield http


def test_a_body_over_the_cap_is_refused_before_it_is_read(client: Any) -> None:
    auth = ("alice", "pw")
    small = client.post("/echo", content=b"x" * 1000, auth=auth, headers={"x-csrftoken": "-"})
    assert small.status_code in (200, 403)  # within bounds: on to the forgery check
    big = client.post("/echo", content=b"x" * (guard.MAX_BODY + 1), auth=auth)
    assert big.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it is read
        for _ in range(10):
            yield b"x" * (guard.MAX_BODY // 4)

    assert client.post("/echo", content=chunks(), auth=auth).status_code == 413


def test_failed_sign_ins_are_logged_slowed_and_then_refused(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.get("/echo").status_code == 401  # no credentials yet: no failure
    with caplog.at_level(logging.WARNING, logger="watcher.web.guard"):
        answers = [client.get("/echo", auth=("alice", f"guess{n}")).status_code for n in range(12)]
    assert answers[: guard.SignIns.LIMIT] == [401] * guard.SignIns.LIMIT
    assert answers[guard.SignIns.LIMIT :] == [429, 429]
    assert "failed sign-in from 203.0.113.9" in caplog.text
    # Blocked, the right password included: guessing on is no use.
    assert client.get("/echo", auth=("alice", "pw")).status_code == 429


def test_a_password_file_every_user_can_read_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("alice:pw\n", encoding="utf-8")
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_users(str(secret), "watcher.toml")
    secret.chmod(0o640)
    assert read_users(str(secret), "watcher.toml").passwords == {"alice": "pw"}


def test_a_password_file_of_several_users_plain_or_bcrypt_hashed(tmp_path: Path) -> None:
    import bcrypt

    hashed = bcrypt.hashpw(b"s3cret bob", bcrypt.gensalt(rounds=4)).decode()
    secret = tmp_path / "pw"
    secret.write_text(f"# the office\nalice:correct horse\n\nbob:{hashed}\n", encoding="utf-8")
    secret.chmod(0o600)
    users = read_users(str(secret), "watcher.toml")
    assert users.signed_in("alice", "correct horse") and users.signed_in("bob", "s3cret bob")
    assert users.signed_in("bob", "s3cret bob")  # the second time from what was checked
    assert not users.signed_in("bob", "correct horse")
    assert not users.signed_in("alice", "s3cret bob") and not users.signed_in("eve", "x")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("alice:pw\nbob\n", "line 2: expected user:password"),
        ("alice:pw\n:pw2\n", "line 2: expected user:password"),
        ("alice:pw\nalice:other\n", "line 2: 'alice' is there twice"),
        ("alice:pw\nbob:$2x$10$abc\n", "line 2: not a bcrypt hash"),
        ("# nothing\n", "holds no password"),
    ],
)
def test_a_bad_password_file_line_is_named_at_start(tmp_path: Path, text: str, said: str) -> None:
    secret = tmp_path / "pw"
    secret.write_text(text, encoding="utf-8")
    secret.chmod(0o600)
    with pytest.raises(ConfigError, match=said):
        read_users(str(secret), "watcher.toml")


def test_the_form_secret_is_made_once_readable_by_its_owner_alone(tmp_path: Path) -> None:
    from watcher.web.server import secret_path, signing_secret

    db = f"sqlite:///{tmp_path / 'db' / 'w.db'}"
    assert secret_path("", db, env={}) == tmp_path / "db" / "web-secret"
    assert secret_path("", db, env={"STATE_DIRECTORY": "/var/lib/watcher"}) == Path(
        "/var/lib/watcher/web-secret"
    )
    assert secret_path(str(tmp_path / "s"), db, env={}) == tmp_path / "s"
    path = secret_path("", db, env={})
    first = signing_secret(path)
    assert signing_secret(path) == first and len(first) == 64
    assert path.stat().st_mode & 0o777 == 0o600
