"""The time: the UTC-aware clock every layer gets by default (tests give their own)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
