"""The outbox's guarantee, on SQLite and PostgreSQL: at least once, never lost."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from watcher.core.model import Message
from watcher.errors import NotifyError
from watcher.notify.outbox import CLAIM, MAX_RETRY_WAIT, deliver
from watcher.store.sql import SqlStore, open_store

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class FakeSender:
    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        if self.fail:
            self.fail -= 1
            raise NotifyError("SMTP 127.0.0.1:25: Connection refused")
        self.sent.append(message)


def _message(n: int = 1) -> Message:
    return Message(
        "digest",
        f"<digest.{n}@hospital.example>",
        ("office@hospital.example",),
        f"digest {n}",
        "text",
        "<p>html</p>",
        T0 - timedelta(days=7),
        T0,
    )


def test_a_failed_message_waits_longer_each_time_then_goes(repo: SqlStore) -> None:
    repo.queue_messages([_message()], T0, ())
    sender = FakeSender(fail=3)
    now = T0
    waits = []
    for _ in range(3):
        result = deliver(repo, {"email": sender}, now, timedelta(minutes=5))
        assert (result.sent, result.failed, result.left) == (0, 1, 1)
        [queued] = repo.outbox(status="queued")
        waits.append(queued.next_attempt_at - now)
        assert deliver(repo, {"email": sender}, now, timedelta(minutes=5)).failed == 0  # not due
        now = queued.next_attempt_at
    assert waits == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    assert deliver(repo, {"email": sender}, now, timedelta(minutes=5)).sent == 1
    assert [m.message_id for m in sender.sent] == ["<digest.1@hospital.example>"]
    [sent] = repo.outbox(status="sent")
    assert (sent.attempts, sent.last_error) == (4, None)


def test_the_wait_is_capped(repo: SqlStore) -> None:
    repo.queue_messages([_message()], T0, ())
    sender = FakeSender(fail=20)
    now = T0
    for _ in range(12):
        deliver(repo, {"email": sender}, now, timedelta(minutes=5))
        now = repo.outbox(status="queued")[0].next_attempt_at
    [queued] = repo.outbox(status="queued")
    assert queued.next_attempt_at - queued.created_at > MAX_RETRY_WAIT
    deliver(repo, {"email": sender}, now, timedelta(minutes=5))
    assert repo.outbox(status="queued")[0].next_attempt_at - now == MAX_RETRY_WAIT


def test_a_crash_after_sending_sends_again_with_the_same_message_id(
    repo: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.queue_messages([_message()], T0, ())
    sender = FakeSender()

    def crash(outbox_id: int, at: datetime) -> None:
        raise SystemExit("killed after the server took the message")

    with monkeypatch.context() as patched:
        patched.setattr(repo, "mark_sent", crash)
        with pytest.raises(SystemExit):
            deliver(repo, {"email": sender}, T0, timedelta(minutes=5))
    assert len(repo.outbox(status="queued")) == 1  # not lost
    deliver(repo, {"email": sender}, T0, timedelta(minutes=5))
    assert len(sender.sent) == 1  # claimed by the process that died: not yet again...
    deliver(repo, {"email": sender}, T0 + CLAIM, timedelta(minutes=5))  # ...until it lapses
    assert [m.message_id for m in sender.sent] == ["<digest.1@hospital.example>"] * 2
    assert repo.outbox(status="queued") == []


def test_two_processes_delivering_at_once_send_each_message_once(
    repo: SqlStore, db_url: str
) -> None:
    repo.queue_messages([_message(n) for n in range(1, 6)], T0, ())
    other = open_store(db_url)  # its own connections, as a second process has
    sent: list[str] = []
    lock = threading.Lock()

    class Slow(FakeSender):
        def send(self, message: Message) -> None:
            time.sleep(0.05)  # both deliveries are reading the same due messages
            with lock:
                sent.append(message.message_id)

    runs = [
        threading.Thread(target=deliver, args=(store, {"email": Slow()}, T0, timedelta(minutes=5)))
        for store in (repo, other)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    other.close()
    assert sorted(sent) == sorted(f"<digest.{n}@hospital.example>" for n in range(1, 6))
    assert repo.outbox(status="queued") == []


def test_one_failing_message_does_not_hold_back_the_others(repo: SqlStore) -> None:
    repo.queue_messages([_message(1), _message(2)], T0, ())
    result = deliver(repo, {"email": FakeSender(fail=1)}, T0, timedelta(minutes=5))
    assert (result.sent, result.failed) == (1, 1)
    assert "digest 'digest 1': SMTP 127.0.0.1:25: Connection refused" in result.errors[0]


def test_a_message_for_a_channel_not_configured_waits(repo: SqlStore) -> None:
    repo.queue_messages([Message("alert", "<a@x>", (), "s", "t", "", channel="apprise")], T0, ())
    assert deliver(repo, {"email": FakeSender()}, T0, timedelta(minutes=5)).left == 1


def test_the_next_digest_starts_where_the_last_queued_one_ended(repo: SqlStore) -> None:
    assert repo.last_digest_end() is None
    repo.queue_messages([_message()], T0, ())
    assert repo.last_digest_end() == T0  # queued, not yet sent: its period is taken


@pytest.mark.parametrize("how", ["advertised", "refused"])
def test_a_message_too_large_for_the_server_is_sent_shortened(how: str) -> None:
    from tests.smtp import SmtpServer
    from watcher.config import EmailSettings
    from watcher.notify.email import SmtpSender

    server = SmtpServer(size=500_000 if how == "advertised" else None).start()
    if how == "refused":
        server.handler.refuse_over = 2_000_000
    try:
        huge = "Sites: added Hospital number 123456, Some City\n" * 60_000  # 2.9 MB
        message = Message(
            "alert", "<big@x>", ("office@x",), "[watcher] 1 trial changed", huge, huge
        )
        settings = EmailSettings(
            enabled=True, smtp_host="127.0.0.1", smtp_port=server.port, sender="w@x", to=("o@x",)
        )
        SmtpSender(settings).send(message)
        [sent] = server.messages
        text = sent.get_body(("plain",))
        assert text is not None
        content = text.get_content()
        assert content.startswith("Sites: added Hospital number 123456")
        assert "more than the mail server takes" in content
        assert len(server.raw[0]) < (500_000 if how == "advertised" else 2_000_000)
        assert sent["Message-ID"] == "<big@x>"
    finally:
        server.stop()
