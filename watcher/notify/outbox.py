"""The outbox: every message is written to the database before it is sent, and sent from there.

The guarantee: at least once. A message that could not be sent stays queued and is tried
again with a growing wait (``email.retry_after``, doubling, at most 6 hours) by the next
``check``, ``digest --send`` or daemon cycle. A crash after the SMTP server took a message but
before it was marked sent makes it go out again, with the same Message-ID, which mail clients
use to show it once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from watcher.config import Settings
from watcher.core.model import Message
from watcher.errors import NotifyError
from watcher.notify.base import Sender
from watcher.store import Store

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Delivery:
    sent: int
    failed: int
    errors: tuple[str, ...]
    left: int  # still queued afterwards


def senders(settings: Settings) -> dict[str, Sender]:
    """A sender for each configured channel."""
    out: dict[str, Sender] = {}
    if settings.email.enabled:
        from watcher.notify.email import SmtpSender

        out["email"] = SmtpSender(settings.email)
    if settings.apprise_urls:
        from watcher.notify.apprise import AppriseSender

        out["apprise"] = AppriseSender(settings.apprise_urls)
    return out


def queue(repo: Store, messages: Sequence[Message], now: datetime) -> list[int]:
    return [repo.enqueue(m, now) for m in messages]


def deliver(
    repo: Store, senders: Mapping[str, Sender], now: datetime, retry_after: timedelta
) -> Delivery:
    """Send every queued message that is due through its channel's sender; one failure does
    not stop the others, and a message whose channel is not configured waits."""
    sent = failed = 0
    errors: list[str] = []
    for queued in repo.outbox(due_at=now):
        sender = senders.get(queued.message.channel)
        if sender is None:
            continue
        try:
            sender.send(queued.message)
        except NotifyError as e:
            wait = min(retry_after * (2**queued.attempts), MAX_RETRY_WAIT)
            repo.mark_failed(queued.id, str(e), now + wait)
            failed += 1
            errors.append(f"{queued.message.kind} {queued.message.subject!r}: {e}")
            log.warning(
                "could not send %s %s: %s; next try in %s",
                queued.message.kind,
                queued.message.message_id,
                e,
                wait,
            )
            continue
        repo.mark_sent(queued.id, now)
        sent += 1
        log.info(
            "sent %s %s to %d recipient(s)",
            queued.message.kind,
            queued.message.message_id,
            len(queued.message.recipients),
        )
    left = len(repo.outbox(status="queued"))
    return Delivery(sent, failed, tuple(errors), left)
