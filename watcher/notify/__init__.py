"""Where messages go: the outbox they wait in (``outbox``: queue and deliver), e-mail over SMTP,
and other channels through apprise (optional)."""

from __future__ import annotations

from watcher.notify.base import Sender
from watcher.notify.email import SmtpSender

__all__ = ["Sender", "SmtpSender"]
