"""Other channels (Slack, Teams, webhooks, ...) through apprise: ``pip install watcher[apprise]``.

Each message goes, as plain text under its subject, to every URL of ``notify.apprise_urls``.
"""

from __future__ import annotations

from collections.abc import Sequence

from watcher.core.model import Message
from watcher.errors import NotifyError


class AppriseSender:
    def __init__(self, urls: Sequence[str]) -> None:
        try:
            import apprise
        except ImportError:
            raise NotifyError(
                "notify.apprise_urls is set but apprise is not installed: "
                "pip install 'watcher[apprise]'"
            ) from None
        self._apprise = apprise.Apprise()
        for url in urls:
            if not self._apprise.add(url):
                # The URL itself may hold a token: name its scheme only.
                raise NotifyError(f"apprise: not a URL it knows ({url.split(':', 1)[0]}://…)")
        self._format = apprise.NotifyFormat.TEXT

    def send(self, message: Message) -> None:
        if not self._apprise.notify(
            title=message.subject, body=message.text, body_format=self._format
        ):
            raise NotifyError("apprise: one or more channels did not take the message")
