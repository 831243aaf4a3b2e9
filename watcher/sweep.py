"""Between two full sweeps, which watched trials a check fetches and which it takes the
register's word for (``[sources.ctgov] full_sweep``, README "Registers").

CT.gov lists the studies it updated since a day, IDs only, a thousand to a page of a few
kilobytes, where a page of the studies themselves is megabytes. A trial fetched within
``full_sweep`` that the list does not name has not changed: it is not fetched, and its check
says so. Every trial is still fetched at least once every ``full_sweep``, so that a change the
register forgets to date is found within that time; one never fetched, failing, or with no
version yet is fetched whatever the list says.

Pure: no I/O; the checker (watcher/pipeline.py) asks the register and acts on the answer.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from watcher.core.model import Watch

# CT.gov dates its updates in its own day (US Eastern) and publishes them at its next data
# refresh: the list is asked from two days before the oldest fetch, never from its UTC day.
MARGIN = timedelta(days=2)
# Asking the list may take this many more requests than fetching every study would: a
# handful of pages of IDs still costs less than a page of records.
HANDFUL = 5


@dataclass(frozen=True, slots=True)
class Sweep:
    fetch: list[str]  # fetched whatever the register says
    ask: list[Watch]  # fetched only when the register lists them as updated
    since: date | None  # the day the list is asked from (None: nothing to ask)


def plan(watches: Sequence[Watch], now: datetime, full_sweep: timedelta | None) -> Sweep:
    """Which of these trials (of one register) are fetched in any case, and which only if
    the register lists them as updated since ``since``."""
    if full_sweep is None:
        return Sweep([w.trial_id for w in watches], [], None)
    ask = [
        w
        for w in watches
        if w.fetched_at is not None
        and w.fetched_at > now - full_sweep
        and w.versions > 0
        and not w.consecutive_failures
    ]
    asked = {w.trial_id for w in ask}
    oldest = min((w.fetched_at for w in ask if w.fetched_at is not None), default=None)
    return Sweep(
        [w.trial_id for w in watches if w.trial_id not in asked],
        ask,
        (oldest - MARGIN).date() if oldest is not None else None,
    )


def most_requests(trials: int, page_size: int) -> int:
    """How many requests the list may take: a handful more than fetching ``trials``."""
    return -(-trials // page_size) + HANDFUL


def unchanged(ask: Sequence[Watch], updated: Collection[str]) -> list[str]:
    """The trials of ``ask`` the register's list of updates does not name, under their own
    ID or the one they redirect to (an alias's study is listed under its current ID)."""
    return [
        w.trial_id
        for w in ask
        if w.trial_id not in updated and (w.redirected_to or w.trial_id) not in updated
    ]
