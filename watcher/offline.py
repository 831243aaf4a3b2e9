"""Saved register payloads, offline: parsed and compared with no database and no network."""

from __future__ import annotations

from watcher.config import Settings
from watcher.core.diff import diff_records
from watcher.core.lenient import take_warnings
from watcher.inputs import read_input
from watcher.results import Comparison, Parsed
from watcher.sources import get as get_source


def parse_file(settings: Settings, path: str, source: str) -> Parsed:
    """Every record of a saved payload of ``source``; the values kept as text are named."""
    records = get_source(source, settings).parse_file(_read(path), path)
    warnings = [w for r in records for w in take_warnings(r)]
    return Parsed(tuple(records), tuple(warnings))


def compare_files(settings: Settings, old: str, new: str, source: str) -> Comparison:
    """Two saved payloads of one source, record by record."""
    first, second = parse_file(settings, old, source), parse_file(settings, new, source)
    before = {r["trial_id"]: r for r in first.records}
    after = {r["trial_id"]: r for r in second.records}
    changed = []
    for trial_id in (t for t in before if t in after):
        changes = diff_records(before[trial_id], after[trial_id], settings.diff)
        if changes:
            changed.append((trial_id, tuple(changes)))
    return Comparison(
        len(before),
        len(after),
        tuple(changed),
        tuple(t for t in after if t not in before),
        tuple(t for t in before if t not in after),
        first.warnings + second.warnings,
    )


def _read(path: str) -> bytes:
    return read_input(path)
