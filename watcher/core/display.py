"""How values are written for a person: one formatter for record values and one for times.

Pure: the terminal views, the diff's summaries and the templates all write values through
these, so that a value reads the same in a change line, `show` and an e-mail.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

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


# Registers' coded values in plain words (CT.gov writes ACTIVE_NOT_RECRUITING, PHASE2).
_PLAIN = {
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "RECRUITING": "Recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "SUSPENDED": "Suspended",
    "TERMINATED": "Terminated",
    "COMPLETED": "Completed",
    "WITHDRAWN": "Withdrawn",
    "UNKNOWN": "Unknown status",
    "AVAILABLE": "Available",
    "NO_LONGER_AVAILABLE": "No longer available",
    "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available",
    "APPROVED_FOR_MARKETING": "Approved for marketing",
    "WITHHELD": "Withheld",
    "EARLY_PHASE1": "Early phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    "NA": "Not applicable",
    "INTERVENTIONAL": "Interventional",
    "OBSERVATIONAL": "Observational",
    "EXPANDED_ACCESS": "Expanded access",
}
# The fields whose values are such codes.
CODED = frozenset({"recruitment_status", "phase", "study_type"})
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")


def plain(name: str, value: Any) -> Any:
    """A coded value of a field in plain words (``ACTIVE_NOT_RECRUITING``: "Active, not
    recruiting"; ``PHASE2/PHASE3``: "Phase 2/Phase 3"); any other value as it is."""
    if name not in CODED or not isinstance(value, str):
        return value
    parts = value.split("/")
    if not all(_CODE.fullmatch(p) for p in parts):
        return value
    return "/".join(_PLAIN.get(p, p.replace("_", " ").capitalize()) for p in parts)


def when(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A stored time to the minute, or ``never``: in UTC, or in ``zone`` (the office's, for
    pages, mails and exports) with its abbreviation ("2026-12-04 10:15 CET")."""
    if not value:
        return "never"
    if zone is None:
        return value.strftime("%Y-%m-%d %H:%M UTC")
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def web_link(url: Any) -> str | None:
    """A register's URL fit to be a link: http or https to a host, else None (a record whose
    URL field reads ``javascript:…`` or ``data:…`` is shown, never made clickable)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None
