"""A large office's database for the benchmarks, filled through the store as checks fill it:
N watched CT.gov trials (the real NCT04267848 record under N IDs), every one with a first
version, one in ``changed_every`` with a second (a status change, not reviewed) some days
later, a tag on a third of them.

The record is normalized once and given each trial's ID: normalizing 360 KB costs 19 ms, and
building 10,000 trials would otherwise take most of ten minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "tests" / "data" / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json"
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def trial_ids(n: int) -> list[str]:
    return [f"NCT{90000000 + i:08d}" for i in range(n)]


def fill(
    database: str,
    ids: list[str],
    changed_every: int = 10,
    at: datetime = T0,
    spread: int = 90,
    later: int = 1,
) -> None:
    """Watch ``ids`` and store their versions (see the module's docstring): the first ones
    at ``at``, the second ones over the ``spread`` days from ``later`` days after it."""
    from sqlalchemy import event

    from watcher.core.hashing import content_hash
    from watcher.core.model import Fetched, Watch
    from watcher.sources.ctgov_study import normalize_study
    from watcher.store import open_store

    raw = STUDY.read_bytes()
    study = orjson.loads(raw)
    own = study["protocolSection"]["identificationModule"]["nctId"]
    base = normalize_study(study)
    store = open_store(database)
    # Building the fixture need not survive a power cut: thousands of commits without fsync.
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda conn, _r: conn.execute("PRAGMA synchronous=OFF"))
    store.add_watches(
        [
            Watch(t, "ClinicalTrials.gov", "ctgov", tags=("lung",) if i % 3 == 0 else ())
            for i, t in enumerate(ids)
        ],
        at,
    )
    for i, trial_id in enumerate(ids):
        url = f"https://clinicaltrials.gov/study/{trial_id}"
        payload = raw.replace(own.encode(), trial_id.encode())
        fetched = Fetched(trial_id, "ctgov", payload, "application/json", url)
        record = base | {"trial_id": trial_id, "url": base["url"].replace(own, trial_id)}
        store.add_version(
            trial_id,
            at=at,
            fetched=fetched,
            record=record,
            content_hash=content_hash(record),
            previous=0,
            changes=0,
        )
        if i % changed_every == 0:
            changed = record | {"recruitment_status": "ACTIVE_NOT_RECRUITING"}
            store.add_version(
                trial_id,
                at=at + timedelta(days=later + i % spread),
                fetched=fetched,
                record=changed,
                content_hash=content_hash(changed),
                previous=1,
                changes=1,
            )
    store.engine.dispose()
