"""Trial IDs: one table of register patterns, the canonical form, and rejection of the rest.

Pure: no I/O. IDs are written as WHO ICTRP writes them (docs/contract.md §2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from watcher.errors import InvalidTrialId


@dataclass(frozen=True, slots=True)
class TrialId:
    """A validated trial ID in canonical form and the register it belongs to."""

    value: str
    registry: str

    def __str__(self) -> str:
        return self.value


def _upper(m: re.Match[str]) -> str:
    return m.group(0).upper()


def _ctis(m: re.Match[str]) -> str:
    return "CTIS" + m.group("num")


def _chictr(m: re.Match[str]) -> str:
    return "ChiCTR" + m.group("rest").upper()


def _jprn(m: re.Match[str]) -> str:
    rest = m.group("rest")
    low = rest.lower()
    if low.startswith("jrcts"):
        return "JPRN-jRCTs" + rest[5:]
    if low.startswith("jrct"):
        return "JPRN-jRCT" + rest[4:]
    if low.startswith("japiccti"):
        return "JPRN-JapicCTI" + rest[8:]
    return "JPRN-" + rest.upper()


def _rbr(m: re.Match[str]) -> str:
    return "RBR-" + m.group("rest").lower()


def _nl_omon(m: re.Match[str]) -> str:
    return "NL-OMON" + m.group("num")


@dataclass(frozen=True, slots=True)
class IdPattern:
    registry: str
    regex: re.Pattern[str]
    canonical: Callable[[re.Match[str]], str]
    example: str


def _p(
    registry: str,
    pattern: str,
    example: str,
    canonical: Callable[[re.Match[str]], str] = _upper,
) -> IdPattern:
    # ASCII: without it IGNORECASE lets the Kelvin sign match "K" and \d match any script's digits.
    return IdPattern(registry, re.compile(pattern, re.IGNORECASE | re.ASCII), canonical, example)


# Order matters only where forms overlap: the bare EU CT number must not be read as anything else.
PATTERNS: tuple[IdPattern, ...] = (
    _p("ctgov", r"NCT\d{8}", "NCT01234567"),
    _p("euctr", r"EUCTR\d{4}-\d{6}-\d{2}(?:-(?:[A-Z]{2}|3RD))?", "EUCTR2017-001400-29-FR"),
    _p("ctis", r"(?:CTIS)?(?P<num>\d{4}-5\d{5}-\d{2}-\d{2})", "CTIS2023-507385-11-00", _ctis),
    _p("isrctn", r"ISRCTN\d{8}", "ISRCTN12345678"),
    _p("drks", r"DRKS\d{8}", "DRKS00012345"),
    _p("anzctr", r"ACTRN\d{14}", "ACTRN12612000123456"),
    _p("chictr", r"ChiCTR(?P<rest>\d{10}|-[A-Z]{2,5}-\d{8})", "ChiCTR2100050713", _chictr),
    _p(
        "jprn",
        r"JPRN-(?P<rest>UMIN\d{9}|jRCT(?:s\d{9}|\d{10})|JapicCTI-\d{6})",
        "JPRN-jRCTs031210288",
        _jprn,
    ),
    _p("cris", r"KCT\d{7}", "KCT0000379"),
    _p("nl-omon", r"NL-OMON(?P<num>\d+)", "NL-OMON55279", _nl_omon),
    # The Netherlands Trial Register before NL-OMON: NL8491 (and the older NTR1234), seen in
    # ICTRP's 2020 downloads.
    _p("ntr", r"NL\d{1,5}|NTR\d{1,5}", "NL8491"),
    _p("ctri", r"CTRI/\d{4}/\d{2,3}/\d{6}", "CTRI/2020/01/022345"),
    _p("irct", r"IRCT[0-9N]{14,18}", "IRCT20200101045998N1"),
    _p("pactr", r"PACTR\d{15,16}", "PACTR202001123456789"),
    _p("rebec", r"RBR-(?P<rest>[0-9a-z]{6})", "RBR-5k8mqs", _rbr),
)

_EXAMPLES = ", ".join(p.example for p in PATTERNS[:4])


def parse_trial_id(text: str) -> TrialId:
    """Validate ``text`` and return its canonical form; raise ``InvalidTrialId`` otherwise."""
    if not isinstance(text, str):
        raise InvalidTrialId(repr(text), "a trial ID must be text")
    stripped = text.strip()
    if not stripped:
        raise InvalidTrialId(text, "empty trial ID")
    for pattern in PATTERNS:
        m = pattern.regex.fullmatch(stripped)
        if m is not None:
            return TrialId(pattern.canonical(m), pattern.registry)
    raise InvalidTrialId(
        stripped, f"not a trial ID of any known register (expected forms like {_EXAMPLES})"
    )


def euctr_parts(trial_id: str) -> tuple[str, str | None]:
    """Split ``EUCTR2017-001400-29-FR`` into the EudraCT number and member-state code."""
    body = trial_id.removeprefix("EUCTR")
    number, country = body[:14], body[15:] or None
    return number, country
