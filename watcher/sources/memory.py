"""Giving freed memory back to the system.

A batch page of studies is parsed, handed on study by study and let go of; glibc keeps the
freed space in its heap, where the next page's objects do not fit exactly, and the daemon's
resident memory creeps up page after page. ``malloc_trim`` returns those free pages to the
system (measured in docs/benchmarks.md). Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_free_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
