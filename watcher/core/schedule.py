"""When each trial is checked within its interval. Pure: no I/O."""

from __future__ import annotations

import zlib
from datetime import timedelta

from watcher.core.links import family


def spread(trial_id: str, interval: timedelta) -> timedelta:
    """A stable offset within the interval for each trial, so that thousands of trials are
    checked across the interval rather than all at once, and stay spread across restarts and
    machines (CRC-32 of the ID: the same in every process, unlike Python's salted ``hash``).
    The member states of one EUCTR trial share theirs: one download serves them all."""
    key = family(trial_id)
    return interval * ((zlib.crc32(key.encode()) % 10_000) / 10_000)
