"""What a check does with today's reading of a trial: the rules of a check, apart from
fetching and storing (reader's ``Decider``). Pure: it does not interact with any dependency,
only processes data; ``watcher.pipeline`` carries its decisions out.

A check runs in three steps, each decided here:

1. ``same_payload``: the very bytes of the last check, read by the same parser, are the same
   record; nothing is read or compared.
2. ``needs_reread`` / ``needs_rehash``: the stored history was read by another parser, or
   hashed by an older hash function; the pipeline brings it up to date first, so that today's
   reading is compared with a reading of the same kind (README "What watcher promises").
3. ``decide``: given the latest version and today's reading, whether to store a version and
   what to report: nothing (unchanged), a first version (baseline), a new start on another
   adapter (restart, never alerted), or a change with its field changes; a record that lost
   most of its fields at once is refused (``FormatChanged``), never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from watcher.core.diff import diff_records
from watcher.core.fields import DiffRules
from watcher.core.hashing import is_current
from watcher.core.links import linked_ids
from watcher.core.lost import lost_fields
from watcher.core.model import FieldChange, Latest, OutcomeKind, Record
from watcher.errors import FormatChanged

Action = Literal["unchanged", "baseline", "restart", "changed"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with today's reading.

    - ``unchanged``: store nothing; ``version`` is the stored version it matches.
    - ``baseline``: store the trial's first version; nothing to report but that it is watched.
    - ``restart``: the watch moved to another adapter: store this reading as a new starting
      version, with no changes (two adapters' readings differ in form, not in what the
      register says).
    - ``changed``: store a version and report ``changes``, and the registrations of the same
      trial the record names for the first time (``new_links``).
    """

    action: Action
    version: int | None = None
    changes: tuple[FieldChange, ...] = field(default_factory=tuple)
    new_links: tuple[str, ...] = ()

    @property
    def stores(self) -> bool:
        return self.action != "unchanged"

    @property
    def outcome(self) -> OutcomeKind:
        """How the check is reported and logged."""
        if self.action == "restart":
            return "baseline"
        return self.action


def same_payload(latest: Latest | None, fingerprint: str) -> bool:
    """Whether today's payload is the very one the latest version was read from (with the
    same parser and normalization: the fingerprint is salted with both)."""
    return latest is not None and latest.payload_hash == fingerprint


def needs_reread(latest: Latest | None, parser: str) -> bool:
    """Whether the stored history was read by another parser than today's (an upgrade)."""
    return latest is not None and latest.parser != parser


def needs_rehash(latest: Latest | None) -> bool:
    """Whether the latest version's hash was made by an older hash function."""
    return latest is not None and not is_current(latest.content_hash)


def moved(latest: Latest | None, source: str) -> bool:
    """Whether the latest version was fetched through another adapter than today's."""
    return latest is not None and latest.source not in (None, source)


def decide(
    trial_id: str,
    latest: Latest | None,
    previous: Callable[[], Record],
    record: Record,
    digest: str,
    source: str,
    rules: DiffRules,
) -> Decision:
    """Today's reading (``record``, hashed ``digest``, read through ``source``) against the
    latest stored version (``latest``, None when there is none; its hash current and read by
    today's parser). ``previous`` gives the latest version's record, asked for only when it
    must be compared. Raises ``FormatChanged`` for a record that lost most of its fields."""
    if latest is None:
        return Decision("baseline")
    if latest.content_hash == digest:
        return Decision("unchanged", latest.version)
    if moved(latest, source):
        return Decision("restart")
    before = previous()
    lost = lost_fields(before, record)
    if lost is not None:
        raise FormatChanged(source, trial_id, *lost)
    new_links = sorted(set(linked_ids(record)) - set(linked_ids(before)))
    return Decision(
        "changed",
        changes=tuple(diff_records(before, record, rules)),
        new_links=tuple(new_links),
    )
