"""What changed in an outcome, in the terms meta-research raters use (Holst et al., "Invisible
outcome changes", PLOS Medicine 2023; docs/contract.md §1, ``aspects``): a new outcome, one
moved between primary and secondary, one omitted, its measure changed, its time frame changed,
detail (a time frame, a description) added or omitted; or only its wording, the same outcome
written otherwise, which is no change of the trial: case, punctuation and spacing, and the
re-titling a register asks for at results entry ("Overall survival" becomes "Percentage of
Participants With Overall Survival at Week 48", a description is written), as long as the
measure keeps its words, its durations do not move and any description says nothing new.

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


# Words that say nothing of what is measured: function words, and the words of the titles a
# register's results entry asks for ("Number of Participants With ...", "Change From
# Baseline in ..."), which re-titling at results entry adds or drops.
_STOP = frozenset(
    _WORD.findall(
        "a an the of in on at to for by with and or as from during after before within between "
        "over up until than that which who is are was were be been this these those its their "
        "per via vs versus into each all any will "
        "number percentage percent proportion participant subject patient rate change baseline "
        "mean measure measured measurement assess assessed assessment define defined primary "
        "outcome efficacy endpoint study evaluate evaluated evaluation determine determined use "
        "used using base based score total"
    )
)
_NUMBERS = dict(
    zip(
        _WORD.findall("one two three four five six seven eight nine ten eleven twelve"),
        map(str, range(1, 13)),
        strict=True,
    )
)
_UNITS = {
    **dict.fromkeys(("hour", "hours", "h", "hr", "hrs"), "hour"),
    **dict.fromkeys(("day", "days"), "day"),
    **dict.fromkeys(("week", "weeks", "wk", "wks"), "week"),
    **dict.fromkeys(("month", "months", "mo"), "month"),
    **dict.fromkeys(("year", "years", "yr", "yrs"), "year"),
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# How far one wording may stray from the other and still be read as the same outcome; set on
# the raters' pairs as a whole (bench/bench_outcome_ratings.py), to miss no more than one
# real change in a hundred.
_LOST = 0.15  # of the measure's words, at most said nowhere in the new wording
_NEW = 1 / 3  # of the new measure's words, at most new
_EDITED = 0.4  # of a description's words, at most changed
_NOVEL = 0.2  # of a description added or dropped, at most not said elsewhere


def _tokens(text: str) -> list[str]:
    """Words as compared: case folded, numbers written as digits, a plural's "s" dropped."""
    out = []
    for w in _WORD.findall(text.casefold().replace("-", " ")):
        w = _NUMBERS.get(w, w)
        plural = len(w) > 3 and w.endswith("s") and not w.endswith("ss") and w not in _STOP
        out.append(w[:-1] if plural else w)
    return out


def _content(text: str) -> set[str]:
    return {w for w in _tokens(text) if w not in _STOP}


def _durations(text: str) -> set[tuple[str, str]]:
    """The durations an outcome names ("12 weeks", "Week 12", "twelve-week", "33.9 months"),
    as (number, unit); day 0 and day 1 are where a trial starts, not a duration. A number and
    a unit are one duration only when nothing but a space or a hyphen stands between them:
    "Visit 4 (Week 12)" names week 12, not 4 weeks."""
    words = re.findall(r"\d+(?:\.\d+)?|[^\W\d_]+|[^\w\s-]", text.casefold())
    words = [_NUMBERS.get(w, w) for w in words]
    found = set()
    for i, w in enumerate(words):
        unit = _UNITS.get(w)
        if unit is None:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(words) and _NUMBER.fullmatch(words[j]):
                found.add((words[j], unit))
    return found - {("0", "day"), ("1", "day")}


def _share(part: set[str], whole: set[str]) -> float:
    return len(part) / len(whole) if whole else 0.0


def _same_outcome(a: Parts, b: Parts) -> bool:
    """Whether two wordings, different in their words, are read as one outcome."""
    before, after = _content(a.measure), _content(b.measure)
    # Words of the measure may move to its description (results entry often does that), but
    # not go: "Death, infarction or stroke" is not "Death or infarction".
    now = _content(f"{b.measure} {b.time_frame} {b.description}")
    if _share(before - now, before) > _LOST if before else bool(after):
        return False
    # Words taken from the old time frame count as new: "Overall survival" followed up to five
    # years is not "Overall survival at 5 years", a rate at one time (tests/test_diff.py).
    if _share(after - before, after) > _NEW:
        return False
    if _durations(a.measure) | _durations(a.time_frame) != _durations(b.measure) | _durations(
        b.time_frame
    ):
        return False
    said_a, said_b = _content(a.description), _content(b.description)
    if not said_a or not said_b:  # a description added or dropped: did it tell anything?
        elsewhere = now if said_a else _content(f"{a.measure} {a.time_frame}")
        return _share((said_a or said_b) - elsewhere, said_a or said_b) <= _NOVEL
    return _share(said_a ^ said_b, said_a | said_b) <= _EDITED


def aspects(old: str, new: str) -> tuple[str, ...]:
    """What changed from one wording of an outcome to another: ``("wording",)`` when only the
    way it is written did (``_same_outcome``), else the parts that changed."""
    a, b = parts(old), parts(new)
    if _same_outcome(a, b):
        return (WORDING,)
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
