"""How values are written for a person: one formatter for record values and one for times.

Pure: the terminal views, the diff's summaries and the templates all write values through
these, so that a value reads the same in a change line, `show` and an e-mail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

NONE = "(none)"


def shown(value: Any, limit: int | None = None) -> str:
    """A record value in words: ``(none)`` for nothing, yes/no, ``key: value`` pairs, list
    items joined by ``;``; whitespace folded and cut to ``limit`` characters when given."""
    if value is None or value == [] or value == {}:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        parts = [f"{k}: {shown(v)}" for k, v in value.items() if v not in (None, "", [])]
        text = ", ".join(parts) or NONE
    elif isinstance(value, list):
        text = "; ".join(shown(v) for v in value)
    else:
        text = str(value)
    if limit is None:
        return text
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(value: datetime | None) -> str:
    """A stored time (UTC) to the minute, or ``never``."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"
