"""What changed in an outcome, in the terms meta-research raters use (Holst et al., "Invisible
outcome changes", PLOS Medicine 2023; docs/contract.md §1, ``aspects``): a new outcome, one
moved between primary and secondary, one omitted, its measure changed, its time frame changed,
detail (a time frame, a description) added or omitted; or only its wording, the same outcome
written otherwise (case, punctuation, spacing), which is no change of the trial.

Pure: does not interact with any dependencies, only processes data. An outcome is one text
per item (``watcher.core.fields``: "outcomes"): CT.gov's become "measure\\nTime frame: …\\n
Description: …"; ICTRP's carry "[Time Frame: …]"; other registers' are the measure alone.
bench/bench_outcome_ratings.py measures these rules against rated pairs (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORDING = "wording"
_CTGOV_PART = re.compile(r"^(Time frame|Description): ?(.*)$", re.MULTILINE)
_BRACKETED_TIME = re.compile(r"\[\s*Time\s*Frame:\s*(.*?)\s*\]", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Parts:
    """An outcome's measure, time frame and description, as written."""

    measure: str
    time_frame: str
    description: str


def parts(text: str) -> Parts:
    """The parts of an outcome's text (a part it does not have is empty)."""
    found: dict[str, str] = {m.group(1): m.group(2) for m in _CTGOV_PART.finditer(text)}
    rest = _CTGOV_PART.sub("", text).strip()
    time_frame = found.get("Time frame", "")
    if not time_frame and (bracket := _BRACKETED_TIME.search(rest)):
        time_frame = bracket.group(1)
        rest = (rest[: bracket.start()] + rest[bracket.end() :]).strip()
    return Parts(rest, time_frame.strip(), found.get("Description", "").strip())


def _words(text: str) -> list[str]:
    """The words of a text, whatever their case, punctuation and spacing."""
    return _WORD.findall(text.casefold())


def aspects(old: str, new: str) -> tuple[str, ...]:
    """What changed from one wording of an outcome to another: ``("wording",)`` when only the
    way it is written did, else the parts that changed."""
    a, b = parts(old), parts(new)
    found = []
    if _words(a.measure) != _words(b.measure):
        found.append("measure")
    for name in ("time_frame", "description"):
        before, after = _words(getattr(a, name)), _words(getattr(b, name))
        if before == after:
            continue
        if not before:
            found.append("detail_added")
        elif not after:
            found.append("detail_omitted")
        else:
            found.append("time_frame" if name == "time_frame" else "measure")
    return tuple(dict.fromkeys(found)) or (WORDING,)


def said(item: str, index: int, found: tuple[str, ...], old: str, new: str) -> str:
    """A change of one outcome in words: "Primary outcome 1: time frame changed (12 months →
    24 months)"."""
    if found == (WORDING,):
        return f"{item} {index}: rewording of the same outcome"
    a, b = parts(old), parts(new)
    words = []
    if "measure" in found:
        words.append("measure changed")
    if "time_frame" in found:
        words.append(f"time frame changed ({a.time_frame} → {b.time_frame})")
    if "detail_added" in found:
        words.append("detail added")
    if "detail_omitted" in found:
        words.append("detail omitted")
    return f"{item} {index}: {', '.join(words)}"
