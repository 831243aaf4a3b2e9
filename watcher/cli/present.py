"""Plain-text views of watches, versions and changes for a person at a terminal.

Pure: returns lines; the CLI prints them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from watcher.core.display import plain, shown, when

if TYPE_CHECKING:  # the diff and its text tools load with the commands that show changes
    from watcher.core.flags import RedFlag
    from watcher.core.model import FieldChange, Record, Version, Watch


def _indent(text: str, prefix: str) -> list[str]:
    lines = text.split("\n")
    return [prefix + lines[0]] + [" " * len(prefix) + line for line in lines[1:]]


def change_lines(change: FieldChange, width: int = 96) -> list[str]:
    """A change as a person reads it: its one-line summary, then, for a long text, the words
    that went ``[-like this-]`` and came ``{+like this+}``."""
    from watcher.core.textdiff import Piece, render

    marker = {"major": "!", "minor": "*", "metadata": "."}[change.significance]
    head = f"{marker} {change.summary or change.label}"
    if not change.detail:
        return [head]
    text = render([Piece(p["op"], p["text"]) for p in change.detail])  # type: ignore[arg-type]
    wrapped = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
    return [head, *(f"    {line}" for line in wrapped)]


def diff_lines(
    trial_id: str,
    old: Version,
    new: Version,
    changes: Sequence[FieldChange],
    flags: Sequence[RedFlag] = (),
) -> list[str]:
    from watcher.core.diff import summarize

    counts = summarize(changes)
    lines = [
        f"{trial_id}: version {old.version} ({when(old.fetched_at)}) -> "
        f"version {new.version} ({when(new.fetched_at)}): "
        f"{counts['major']} major, {counts['minor']} minor, {counts['metadata']} metadata"
    ]
    if not changes:
        lines.append("No changes.")
    for change in changes:
        lines += change_lines(change)
    return lines + flag_lines(flags)


def flag_lines(flags: Sequence[RedFlag]) -> list[str]:
    return ["Red flags:", *(f"  ! {flag.message}" for flag in flags)] if flags else []


LEGEND = "(! major, * minor, . metadata)"


def record_lines(record: Record) -> list[str]:
    """Scalars as ``Label: value``; lists as the label, then one ``- item`` a line."""
    from watcher.core.fields import field_info

    lines = []
    for key, value in record.items():
        label = field_info(key).label
        if isinstance(value, list) and value:
            lines.append(f"{label} ({len(value)}):")
            for item in value:
                lines += _indent(shown(item), "  - ")
        else:
            words = plain(key, value)
            text = f"{words} ({value})" if words != value else shown(value)
            lines += _indent(text, f"{label}: ")
    return lines


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip(), *(fmt.format(*r).rstrip() for r in rows)]


def watch_table(
    watches: Sequence[Watch], intervals: Mapping[str, str], members: Mapping[str, list[str]]
) -> list[str]:
    """One row a watch; a whole EUCTR trial says how many member states it stands for
    (their records, and versions, are in their own rows)."""
    rows = [
        [
            w.trial_id,
            w.source,
            f"{len(members[w.trial_id])} member states" if w.trial_id in members else w.status,
            "" if w.trial_id in members else str(w.versions),
            str(w.unreviewed) if w.unreviewed else "",
            intervals.get(w.trial_id, ""),
            when(w.last_changed_at),
            ",".join(w.tags),
            w.title if w.title != w.trial_id else "",
        ]
        for w in watches
    ]
    return _table(
        [
            "trial",
            "source",
            "status",
            "versions",
            "unreviewed",
            "every",
            "last changed",
            "tags",
            "title",
        ],
        rows,
    )


def history_table(versions: Sequence[Version]) -> list[str]:
    """The versions, with the review trail: who reviewed each one's changes, when, the note
    (a version with changes nobody reviewed says so)."""
    rows = [
        [
            str(v.version),
            when(v.fetched_at),
            str(v.changes) if v.version > 1 else "first",
            v.content_hash.split(":", 1)[-1][:12],
            _review(v),
        ]
        for v in versions
    ]
    return _table(["version", "fetched", "changes", "hash", "review"], rows)


def _review(v: Version) -> str:
    if v.reviewed_by:
        note = f": {shown(v.review_note, 60)}" if v.review_note else ""
        return f"{v.reviewed_by}, {when(v.reviewed_at)}{note}"
    return "not reviewed" if v.version > 1 and v.changes else ""
