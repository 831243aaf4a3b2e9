"""Setting values: each parser takes a TOML value and returns the setting's value, or raises
``ValueError`` saying what was expected; a ``Setting`` is one key of the table with its
parser. Pure: no file, no environment."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

_DURATION_PART = re.compile(r"(\d+)\s*([smhd])")


def parse_duration(value: object) -> timedelta:
    """``"30s"``, ``"90m"``, ``"24h"``, ``"7d"`` (parts may be combined: ``"1h30m"``)."""
    if not isinstance(value, str):
        raise ValueError('expected a duration such as "30s", "90m", "24h" or "7d"')
    text = value.strip().lower()
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        raise ValueError(f'expected a duration such as "30s", "90m", "24h" or "7d", got {value!r}')
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"expected a duration longer than zero, got {value!r}")
    if seconds > _LONGEST.total_seconds():
        raise ValueError(f"expected a duration of at most 3650d (ten years), got {value!r}")
    return timedelta(seconds=seconds)


def optional_duration(value: object) -> timedelta | None:
    """A duration, or ``""`` for none."""
    return None if value == "" else parse_duration(value)


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Beyond this a schedule means nothing, and timedelta itself overflows at 999,999,999 days.
_LONGEST = timedelta(days=3650)
_SIZE = re.compile(r"(\d+)\s*(b|kb|mb|gb)?")
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def optional_size(value: object) -> int | None:
    """A size, or ``""`` for none (another setting's applies)."""
    return None if value == "" else parse_size(value)


def parse_size(value: object) -> int:
    """A size in bytes: ``"64MB"``, ``"512KB"``, ``"1GB"`` (binary units), at most 64 GB."""
    match = _SIZE.fullmatch(value.strip().lower()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'expected a size such as "512KB", "64MB" or "1GB", got {value!r}')
    size = int(match.group(1)) * _SIZE_UNITS[match.group(2) or "b"]
    if not 0 < size <= 64 * 1024**3:
        raise ValueError(f"expected a size between 1 byte and 64GB, got {value!r}")
    return size


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})")


def parse_weekly(value: object) -> str:
    """A weekly time such as ``"mon 08:00"`` (local time zone), returned in that form."""
    if isinstance(value, str) and (m := _WEEKLY.fullmatch(value.strip().lower())):
        day, hour, minute = m[1], int(m[2]), int(m[3])
        if day in _WEEKDAYS and hour < 24 and minute < 60:
            return f"{day} {hour:02d}:{minute:02d}"
    raise ValueError(f'expected a weekday and a time such as "mon 08:00", got {value!r}')


def string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def url(value: object) -> str:
    text = string(value).rstrip("/")
    if not re.match(r"https?://[^/\s]+", text):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return text


def db_url(value: object) -> str:
    text = string(value)
    if not re.match(r"[a-z][a-z0-9+]*://", text):
        raise ValueError(
            f"expected an SQLAlchemy URL such as sqlite:///watcher.db or "
            f"postgresql+psycopg://user@host/db, got {value!r}"
        )
    return text


def positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


def count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number of at least 0, got {value!r}")
    return value


def port(value: object) -> int:
    port = positive_int(value)
    if port > 65535:
        raise ValueError(f"expected a port number from 1 to 65535, got {value!r}")
    return port


def boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def significances(value: object) -> tuple[str, ...]:
    names = str_list(value)
    wrong = [n for n in names if n not in ("major", "minor")]
    if wrong:
        raise ValueError(f'expected a list of "major" and "minor", got {wrong!r}')
    return names


def tag_recipients(value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { oncology = ["onc@example.org"] }')
    try:
        return {str(tag): str_list(addresses) for tag, addresses in value.items()}
    except ValueError as e:
        raise ValueError(f"each tag takes a list of addresses ({e})") from None


def record_fields(value: object) -> frozenset[str]:
    from watcher.core.fields import FIELDS

    names = str_list(value)
    unknown = [n for n in names if n.split(".")[0] not in FIELDS]
    if unknown:
        raise ValueError(
            f"unknown record fields {', '.join(map(repr, unknown))} (fields: {', '.join(FIELDS)})"
        )
    return frozenset(names)


def share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"expected a number from 0 to 1, got {value!r}")
    return float(value)


def str_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(value)


# The adapters (watcher.sources.SOURCES), named here so that config stays below them.


def tag_intervals(value: object) -> dict[str, timedelta]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { safety = "24h" }')
    try:
        return {str(tag): parse_duration(every) for tag, every in value.items()}
    except ValueError as e:
        raise ValueError(f"each tag takes a duration ({e})") from None


def time_zone(value: object) -> str:
    """An IANA time zone name ("Europe/Paris"), or "" for the machine's."""
    if not isinstance(value, str):
        raise ValueError('expected a time zone name such as "Europe/Paris"')
    if value.strip():
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"no such time zone: {value!r}") from None
    return value.strip()


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of the settings table (watcher/config/table.py): its default as written in
    TOML, how its value is read, and its help."""

    key: str
    default: Any
    parse: Callable[[object], Any]
    help: str
