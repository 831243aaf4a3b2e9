"""How watcher stands: what `status` (and a monitor) is told about the daemon and the trials."""

from __future__ import annotations

from datetime import datetime

from watcher.config import Settings
from watcher.results import Status
from watcher.store import Store


def status(store: Store, settings: Settings, now: datetime) -> Status:
    """When the daemon last completed a cycle (healthy: within two check intervals), what it
    checked, and which trials are due, failing and stale. Counted by the database: the
    watch list is never read whole, only the trials that may be in trouble."""
    state = store.daemon_state()
    facts = store.health_facts(now)
    schedule = settings.schedule
    last = state.last_cycle_at if state else None
    # No trial's interval is shorter than the shortest of the global, the tags' and its own:
    # a trial with a success since twice that is stale under none of them.
    shortest = min(
        [schedule.check_interval, *schedule.tags.values()]
        + ([facts.shortest_every] if facts.shortest_every else [])
    )
    troubled = store.troubled(schedule.failures_before_alert, now - 2 * shortest)
    # Of each register that lists its updates, the oldest fetch of a watched record: every
    # one has been fetched since (the last full sweep); None while one never was.
    sweeps: dict[str, datetime | None] = {}
    for name, source in settings.sources.items():
        if source.full_sweep is not None and name in facts.fetched:
            oldest, never = facts.fetched[name]
            sweeps[name] = None if never else oldest
    return Status(
        healthy=last is not None and last >= now - 2 * schedule.check_interval,
        last_cycle_at=last,
        daemon=state,
        last_run=store.last_run("daemon"),
        watched=facts.watched,
        due=facts.due,
        failing=tuple(w for w in troubled if schedule.failing(w)),
        stale=tuple(w for w in troubled if schedule.stale(w, now)),
        queued_messages=facts.queued_messages,
        full_sweeps=sweeps,
        searches=tuple(store.searches()),
    )
