"""How watcher stands: what `status` (and a monitor) is told about the daemon and the trials."""

from __future__ import annotations

from datetime import datetime

from watcher.config import Settings
from watcher.results import Status
from watcher.store import Store


def status(store: Store, settings: Settings, now: datetime) -> Status:
    """When the daemon last completed a cycle (healthy: within two check intervals), what it
    checked, and which trials are due, failing and stale."""
    state = store.daemon_state()
    watches = store.watches()
    schedule = settings.schedule
    last = state.last_cycle_at if state else None
    # Of each register that lists its updates, the oldest fetch of a watched record: every
    # one has been fetched since (the last full sweep); None while one never was.
    sweeps: dict[str, datetime | None] = {}
    for name, source in settings.sources.items():
        fetched = [w.fetched_at for w in watches if w.source == name]
        if source.full_sweep is not None and fetched:
            sweeps[name] = None if None in fetched else min(f for f in fetched if f is not None)
    return Status(
        healthy=last is not None and last >= now - 2 * schedule.check_interval,
        last_cycle_at=last,
        daemon=state,
        last_run=store.last_run("daemon"),
        watched=len(watches),
        due=sum(1 for w in watches if w.next_check_at is None or w.next_check_at <= now),
        failing=tuple(w for w in watches if schedule.failing(w)),
        stale=tuple(w for w in watches if schedule.stale(w, now)),
        queued_messages=len(store.outbox(status="queued")),
        full_sweeps=sweeps,
        searches=tuple(store.searches()),
    )
