"""The interface every channel implements."""

from __future__ import annotations

from typing import Protocol

from watcher.core.model import Message


class Sender(Protocol):
    """Delivers one queued message; raises ``NotifyError`` when it could not."""

    def send(self, message: Message) -> None: ...
