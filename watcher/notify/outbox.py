"""The outbox: every message is written to the database before it is sent, and sent from there.

The guarantee: at least once. A message that could not be sent stays queued and is tried
again with a growing wait (``email.retry_after``, doubling, at most 6 hours) by the next
``check``, ``digest --send`` or daemon cycle. A crash after the SMTP server took a message but
before it was marked sent makes it go out again, with the same Message-ID, which mail clients
use to show it once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from watcher.config import Settings
from watcher.errors import NotifyError
from watcher.notify.base import Sender
from watcher.store import Store

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = timedelta(hours=6)
# A message is claimed before it is sent, so that two processes delivering at once never
# send it twice; a claim whose process died lapses after this.
CLAIM = timedelta(minutes=10)


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
        if not repo.claim_message(queued.id, now, now + CLAIM):
            continue  # another process is sending it
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
