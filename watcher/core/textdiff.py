"""Word-level differences and similarity of texts, for changes a person reads.

Pure: does not interact with any dependencies, only processes data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

_WORD = re.compile(r"\S+")

Op = Literal["equal", "delete", "insert"]


@dataclass(frozen=True, slots=True)
class Piece:
    op: Op
    text: str

    def to_json(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def similarity(a: str, b: str) -> float:
    """How alike two texts are, from 0 to 1, by their words (case ignored)."""
    wa, wb = [w.lower() for w in words(a)], [w.lower() for w in words(b)]
    if not wa and not wb:
        return 1.0
    matcher = SequenceMatcher(None, wa, wb, autojunk=False)
    if matcher.real_quick_ratio() < 0.2:
        return matcher.real_quick_ratio()
    return matcher.ratio()


def word_diff(old: str, new: str, context: int = 6) -> list[Piece]:
    """The words removed and added between two texts, with at most ``context`` unchanged words
    kept around each change (longer unchanged runs are cut to "…")."""
    a, b = words(old), words(new)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            run = a[i1:i2]
            if len(run) > 2 * context:
                head = run[:context] if pieces else []
                tail = run[-context:] if i2 < len(a) or j2 < len(b) else []
                text = " ".join([*head, "…", *tail]) if head or tail else "…"
                pieces.append(Piece("equal", text))
            else:
                pieces.append(Piece("equal", " ".join(run)))
            continue
        if i2 > i1:
            pieces.append(Piece("delete", " ".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("insert", " ".join(b[j1:j2])))
    return pieces


def counts(pieces: list[Piece]) -> tuple[int, int]:
    """(words added, words removed)."""
    added = sum(len(words(p.text)) for p in pieces if p.op == "insert")
    removed = sum(len(words(p.text)) for p in pieces if p.op == "delete")
    return added, removed


def render(pieces: list[Piece]) -> str:
    """A word diff as one line of text: ``[-removed-]{+added+}``."""
    out = []
    for p in pieces:
        out.append(
            p.text
            if p.op == "equal"
            else f"[-{p.text}-]"
            if p.op == "delete"
            else f"{{+{p.text}+}}"
        )
    return " ".join(x for x in out if x)
