"""The outbox: messages written before any attempt to send them, and how sending went."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from watcher.core.model import Message, Queued
from watcher.store.base import StoreBase
from watcher.store.tables import OutboxRow, SnapshotRow, WatchRow


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
            return self._add_message(session, message, at)

    @staticmethod
    def _add_message(session: Session, message: Message, at: datetime) -> int:
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

    def queue_messages(
        self, messages: Sequence[Message], at: datetime, versions: Sequence[tuple[str, int]]
    ) -> list[int]:
        """Queue messages (an alert's, a digest's) and mark the versions they tell as
        alerted, in one transaction: all is written or nothing (a full disk: the next run
        derives the alert again from the versions still unalerted)."""
        with self._session() as session:
            ids = [self._add_message(session, m, at) for m in messages]
            self._mark_alerted(session, versions)
            return ids

    def mark_alerted(self, versions: Sequence[tuple[str, int]]) -> None:
        """Versions with nothing to tell (no channel configured, no change worth an alert)."""
        with self._session() as session:
            self._mark_alerted(session, versions)

    def unalerted(self, since: datetime) -> list[tuple[str, int]]:
        """Versions fetched after ``since`` whose changes no alert has told yet."""
        with self._session(read_only=True) as session:
            rows = session.execute(
                select(WatchRow.trial_id, SnapshotRow.version)
                .join(WatchRow, WatchRow.id == SnapshotRow.watch_id)
                .where(~SnapshotRow.alerted, SnapshotRow.fetched_at > since)
                .order_by(WatchRow.trial_id, SnapshotRow.version)
            )
            return [(tid, number) for tid, number in rows]

    @staticmethod
    def _mark_alerted(session: Session, versions: Sequence[tuple[str, int]]) -> None:
        by_trial: dict[str, list[int]] = defaultdict(list)
        for tid, number in versions:
            by_trial[tid].append(number)
        for tid, numbers in by_trial.items():
            watch_id = select(WatchRow.id).where(WatchRow.trial_id == tid).scalar_subquery()
            session.execute(
                update(SnapshotRow)
                .where(SnapshotRow.watch_id == watch_id, SnapshotRow.version.in_(numbers))
                .values(alerted=True)
            )

    def claim_message(self, outbox_id: int, now: datetime, until: datetime) -> bool:
        """Take a due message for sending: False when another process took it first. A
        claim not followed by ``mark_sent`` (a crash) lapses at ``until``."""
        with self._session() as session:
            claimed = session.connection().execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == outbox_id,
                    OutboxRow.status == "queued",
                    OutboxRow.next_attempt_at <= now,
                )
                .values(next_attempt_at=until)
            )
            return bool(claimed.rowcount)

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
