"""The time: the UTC-aware clock every layer gets by default (tests give their own)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def midnight(day: date) -> datetime:
    """The start of a day given by a person, in UTC as every stored time."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
