"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives; it can be stopped
and started again on the same port, to test mail that waits while the server is down."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.machine import free_port


class _Handler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.raw: list[bytes] = []
        # A server whose limit it does not advertise: larger messages get 552 after DATA.
        self.refuse_over: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_over is not None and len(envelope.content) > self.refuse_over:
            return "552 5.3.4 Message size exceeds fixed maximum message size"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        self.raw.append(envelope.content)  # as it came over the wire
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpServer:
    def __init__(
        self, login: tuple[str, str] | None = None, tls: Any = None, size: int | None = None
    ) -> None:
        self.port = free_port()
        self.size = size  # the SIZE the server advertises and enforces (aiosmtpd: 32 MiB)
        self.handler = _Handler()
        self.login = login
        self.tls = tls  # an ssl.SSLContext: STARTTLS required
        self.controller: Controller | None = None

    def _authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.login is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        )
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.login is not None:
            # AUTH offered but not required (requiring it without TLS makes aiosmtpd warn):
            # the client logs in whenever it has a username, and a wrong password fails.
            kwargs = {
                "authenticator": self._authenticator,
                "auth_require_tls": self.tls is not None,
            }
        if self.size is not None:
            kwargs["data_size_limit"] = self.size
        if self.tls is not None:
            kwargs |= {"tls_context": self.tls, "require_starttls": True}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    @property
    def raw(self) -> list[bytes]:
        """Each message's bytes as the server received them."""
        return self.handler.raw
