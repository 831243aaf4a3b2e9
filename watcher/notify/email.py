"""E-mail over SMTP: one multipart message (plain text and HTML) per queued message."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import replace
from email.message import EmailMessage, MIMEPart
from email.utils import formatdate

from watcher.config import EmailSettings
from watcher.core.model import Message
from watcher.errors import NotifyError


def build(message: Message, sender: str) -> EmailMessage:
    """The e-mail of a queued message; its Message-ID is the one given at queueing, so that a
    message sent twice (a crash between sending and marking it sent) is one message to a
    mail client."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(localtime=True)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    for part in email.iter_parts():
        _no_from_lines(part)
    return email


_FROM_LINE = re.compile(r"^From ", re.MULTILINE)


def _no_from_lines(part: MIMEPart) -> None:
    """Mail stored as mbox on the way (and many servers and clients do) turns a body line
    starting with "From " into ">From ": such a part is sent quoted-printable with that F
    encoded (``=46``), which every reader decodes back to "From"."""
    text = part.get_content()
    if not _FROM_LINE.search(text):
        return
    part.set_content(text, subtype=part.get_content_subtype(), cte="quoted-printable")
    payload = part.get_payload()
    assert isinstance(payload, str)
    part.set_payload(_FROM_LINE.sub("=46rom ", payload))


class SmtpSender:
    def __init__(self, settings: EmailSettings, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout

    @property
    def server(self) -> str:
        return f"SMTP {self.settings.smtp_host}:{self.settings.smtp_port}"

    def send(self, message: Message) -> None:
        settings = self.settings
        email = build(message, settings.sender)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=self.timeout) as smtp:
                if settings.starttls:
                    context = ssl.create_default_context(cafile=settings.ca_file or None)
                    smtp.starttls(context=context)
                if settings.username:
                    smtp.login(settings.username, settings.password)
                refused = self._send_fitting(smtp, message, email)
        except smtplib.SMTPAuthenticationError as e:
            raise NotifyError(
                f"{self.server}: login refused for {settings.username!r} ({e.smtp_code})"
            ) from None
        except smtplib.SMTPException as e:
            raise NotifyError(f"{self.server}: {e}") from None
        except ssl.SSLError as e:
            raise NotifyError(f"{self.server}: TLS failed ({e.reason or e})") from None
        except OSError as e:
            raise NotifyError(f"{self.server}: {e.strerror or e}") from None
        if refused:
            raise NotifyError(f"{self.server}: refused {', '.join(sorted(refused))}")

    def _send_fitting(
        self, smtp: smtplib.SMTP, message: Message, email: EmailMessage
    ) -> dict[str, tuple[int, bytes]]:
        """Send ``email``; one larger than the server takes (its SIZE, or a 552 answer) is
        sent shortened instead, never left queued for ever."""
        smtp.ehlo_or_helo_if_needed()
        limit = _size_limit(smtp)
        if limit is not None and len(email.as_bytes()) > limit:
            email = build(shortened(message, limit), self.settings.sender)
        try:
            return smtp.send_message(email, to_addrs=list(message.recipients))
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
            if e.smtp_code not in (552, 523):
                raise
            smtp.rset()
            smaller = shortened(message, min(limit or SHORT, SHORT))
            return smtp.send_message(
                build(smaller, self.settings.sender), to_addrs=list(message.recipients)
            )


# What a message refused for its size is cut to when the server does not say its limit: far
# under any server's (most take 10 MB or more).
SHORT = 1_000_000


def _size_limit(smtp: smtplib.SMTP) -> int | None:
    size = smtp.esmtp_features.get("size", "").strip()
    return int(size) if size.isdigit() and int(size) > 0 else None


def shortened(message: Message, limit: int) -> Message:
    """The message cut to fit ``limit`` bytes: the start of its text, and what to open for
    the rest (the digest or report in watcher, where every change is)."""
    import html

    # Both parts carry the text, encoded at worst 4/3 its size: a third of the limit each.
    keep = max(limit // 3 - 2048, 1024)
    text = message.text.encode("utf-8")[:keep].decode("utf-8", errors="ignore")
    note = (
        f"\n\n[This message was {len(message.text) + len(message.html):,} characters, more "
        "than the mail server takes: only its start is here. Every change is in the web view, "
        "`watcher report` and `watcher export`.]\n"
    )
    body = html.escape(text + note)
    return replace(
        message,
        text=text + note,
        html=f'<!DOCTYPE html><html><body><pre style="white-space:pre-wrap;">{body}</pre>'
        "</body></html>",
    )
