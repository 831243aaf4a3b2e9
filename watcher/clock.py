"""The time: the one UTC-aware clock every layer is given (the tests give their own)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from watcher.errors import ConfigError

Clock = Callable[[], datetime]

# The tests' clock for the command line: a fixed moment, honoured only while pytest runs a
# test (pytest sets PYTEST_CURRENT_TEST, and a command it starts inherits it), so that a
# stray variable can never move a real office's clock.
TEST_NOW = "WATCHER_TEST_NOW"


def utcnow() -> datetime:
    return datetime.now(UTC)


def midnight(day: date) -> datetime:
    """The start of a day given by a person, in UTC as every stored time."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def clock_from(env: Mapping[str, str] = os.environ) -> Clock:
    """The clock of a command: the real one, or under the tests the moment ``$WATCHER_TEST_NOW``
    names (ISO 8601, UTC when it names no zone)."""
    text = env.get(TEST_NOW)
    if not text or "PYTEST_CURRENT_TEST" not in env:
        return utcnow
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(TEST_NOW, None, f"expected an ISO 8601 time, got {text!r}") from None
    fixed = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return lambda: fixed
