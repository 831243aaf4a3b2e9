"""The outbox: messages written before any attempt to send them, and how sending went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from watcher.core.model import Message, Queued
from watcher.store.base import StoreBase
from watcher.store.tables import OutboxRow


def _queued(row: OutboxRow) -> Queued:
    message = Message(
        kind=row.kind,  # type: ignore[arg-type]
        message_id=row.message_id,
        recipients=tuple(row.recipients),
        subject=row.subject,
        text=row.text,
        html=row.html,
        period_start=row.period_start,
        period_end=row.period_end,
        channel=row.channel,
    )
    return Queued(
        id=row.id,
        message=message,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )


class OutboxMixin(StoreBase):
    def enqueue(self, message: Message, at: datetime) -> int:
        """Queue a message, due at once; returns its ID."""
        with self._session() as session:
            row = OutboxRow(
                kind=message.kind,
                channel=message.channel,
                created_at=at,
                message_id=message.message_id,
                recipients=list(message.recipients),
                subject=message.subject,
                text=message.text,
                html=message.html,
                status="queued",
                attempts=0,
                next_attempt_at=at,
                period_start=message.period_start,
                period_end=message.period_end,
            )
            session.add(row)
            session.flush()
            return row.id

    def outbox(self, *, due_at: datetime | None = None, status: str | None = None) -> list[Queued]:
        """Messages, oldest first: all, those with ``status``, or the queued ones due."""
        with self._session(read_only=True) as session:
            query = select(OutboxRow).order_by(OutboxRow.id)
            if status is not None:
                query = query.where(OutboxRow.status == status)
            if due_at is not None:
                query = query.where(
                    OutboxRow.status == "queued", OutboxRow.next_attempt_at <= due_at
                )
            return [_queued(row) for row in session.scalars(query)]

    def mark_sent(self, outbox_id: int, at: datetime) -> None:
        with self._session() as session:
            row = session.get(OutboxRow, outbox_id)
            if row is not None:
                row.status, row.sent_at, row.last_error = "sent", at, None
                row.attempts += 1

    def mark_failed(self, outbox_id: int, error: str, retry_at: datetime) -> None:
        with self._session() as session:
            row = session.get(OutboxRow, outbox_id)
            if row is not None:
                row.attempts += 1
                row.last_error = error
                row.next_attempt_at = retry_at

    def last_digest_end(self) -> datetime | None:
        """Where the newest queued or sent digest's period ended."""
        with self._session(read_only=True) as session:
            return session.scalar(
                select(func.max(OutboxRow.period_end)).where(OutboxRow.kind == "digest")
            )
