"""Reading stored versions again, from their kept raw payloads, with the current parsers: a
release that reads a register differently never reports its own reading as a change.

Each version names the parser that read it (``sources.base.parser_id``). Before a check
compares today's record with a version read by another parser, it reads the trial's history
again (``reread``) and stores the new readings in place of the old, silently: a difference
that is only the parser's makes no version and no alert, and a version that differed from the
one before only by the old parser's reading is dropped. ``watcher reparse`` does the same for
every trial at once. The raw payloads themselves are never changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from watcher.core.diff import diff_records
from watcher.core.fields import DiffRules
from watcher.core.hashing import content_hash
from watcher.core.headline import headline
from watcher.core.lenient import take_warnings
from watcher.core.model import Fetched
from watcher.errors import WatcherError
from watcher.sources.base import Source, parser_id
from watcher.store import Store, retrying
from watcher.store.protocol import Reread

log = logging.getLogger(__name__)

# The adapter of a source name, None when there is none any more.
Adapters = Callable[[str], "Source | None"]


@dataclass(frozen=True, slots=True)
class Rereading:
    """What reading a trial's history again did."""

    trial_id: str
    read: int  # versions read
    reread: tuple[int, ...]  # versions (old numbers) whose stored reading was replaced
    dropped: tuple[int, ...]  # versions that were only the old parser's reading


def reread(store: Store, adapters: Adapters, trial_id: str, rules: DiffRules) -> Rereading:
    """Read every stored version of a trial again with the current parsers and store what
    differs (one transaction; running it twice changes nothing the second time)."""
    # A check that stores a version meanwhile: read the history again.
    return retrying(trial_id, lambda _n: _reread(store, adapters, trial_id, rules))


def _reread(store: Store, adapters: Adapters, trial_id: str, rules: DiffRules) -> Rereading:
    readings = store.readings(trial_id)
    kept: list[Reread] = []
    replaced, dropped = [], []
    for old in readings:
        record, digest, parser = old.record, old.content_hash, old.parser
        adapter = adapters(old.source)
        if adapter is not None:
            fetched = Fetched(trial_id, old.source, old.raw, old.content_type, old.url)
            try:
                record = adapter.normalize(fetched)
            except WatcherError as e:
                log.warning(
                    "%s: version %d cannot be read again (%s); it stays as it was read",
                    trial_id,
                    old.version,
                    e,
                )
            else:
                take_warnings(record)  # they were told when the payload was fetched
                digest, parser = content_hash(record), parser_id(adapter)
        if (digest, parser) != (old.content_hash, old.parser):
            replaced.append(old.version)
        if kept and kept[-1].content_hash == digest:
            dropped.append(old.version)
            continue
        changes = diff_records(kept[-1].record, record, rules) if kept else []
        kept.append(Reread(old, record, digest, parser, len(changes), headline(changes)))
    if replaced or dropped:
        store.replace_history(trial_id, kept, len(readings))
        log.info(
            "%s: read again with the current parsers: versions %s%s",
            trial_id,
            ", ".join(map(str, replaced)),
            f"; dropped {', '.join(map(str, dropped))} (the old parser's reading only)"
            if dropped
            else "",
        )
    return Rereading(trial_id, len(readings), tuple(replaced), tuple(dropped))
