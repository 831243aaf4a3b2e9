"""The settings of the registers: which adapter serves which trial ID, each register's
address, request budget and largest answer (from ``watcher.registers.SOURCES``), and what is
one register's own (CT.gov's pages and sweeps, ICTRP's web service)."""

from __future__ import annotations

import re

from watcher.config.values import (
    Setting,
    optional_duration,
    optional_size,
    positive_int,
    string,
    url,
)
from watcher.registers import SOURCES


def source_name(value: object) -> str:
    text = string(value)
    if text not in SOURCES:
        raise ValueError(f"expected one of {', '.join(sorted(SOURCES))}, got {value!r}")
    return text


def _prefix_table(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { NCT = "ctgov", EUCTR = "euctr" }')
    out = {}
    for prefix, name in value.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z-]*", prefix):
            raise ValueError(f"expected trial ID prefixes such as NCT or EUCTR, got {prefix!r}")
        try:
            out[prefix.upper()] = source_name(name)
        except ValueError as e:
            raise ValueError(f"{prefix}: {e}") from None
    return out


def _source_rows() -> tuple[Setting, ...]:
    """Each register's address, request budget and largest answer, from ``SOURCES``."""
    largest = 'The largest answer for one record from this register; "" for http.max_answer.'
    return tuple(
        row
        for name, info in SOURCES.items()
        for row in (
            Setting(f"sources.{name}.base_url", info.base_url, url, info.about),
            Setting(
                f"sources.{name}.requests_per_minute",
                info.requests_per_minute,
                positive_int,
                info.budget,
            ),
            Setting(f"sources.{name}.max_answer", "", optional_size, largest),
        )
    )


SOURCE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "sources.default",
        "ictrp",
        source_name,
        "The adapter for trial IDs that no `sources.by_prefix` entry names: ICTRP carries "
        "the records of every WHO primary register.",
    ),
    Setting(
        "sources.by_prefix",
        {"NCT": "ctgov", "EUCTR": "euctr", "CTIS": "ctis", "ISRCTN": "isrctn"},
        _prefix_table,
        "Which adapter fetches the IDs that start with a prefix (the longest prefix wins); "
        "`watcher add --source` overrides it for one trial.",
    ),
    *_source_rows(),
    Setting(
        "sources.ctgov.page_size",
        1000,
        positive_int,
        "Studies asked for in one batch request (the API allows up to 1000).",
    ),
    Setting(
        "sources.ctgov.fields",
        "protocolSection,hasResults",
        string,
        "The API's `fields` parameter: which parts of a study to fetch. Results tables "
        "are large and are not compared; empty fetches everything.",
    ),
    Setting(
        "sources.ctgov.full_sweep",
        "7d",
        optional_duration,
        "How long at most between two fetches of each watched study. In between, a check "
        "asks which studies CT.gov updated since (IDs only) and fetches those alone, when "
        'that costs fewer requests than fetching them all; "" fetches every study each time.',
    ),
    Setting(
        "sources.ictrp.username",
        "",
        string,
        "ICTRP web-service account (ictrpinfo@who.int gives them). When set, records come "
        "from the web service instead of the trial pages.",
    ),
    Setting(
        "sources.ictrp.password_file",
        "",
        string,
        "A file holding the web-service password; $WATCHER_ICTRP_PASSWORD wins over it. "
        "The password is never written to logs or messages.",
    ),
    Setting(
        "sources.ictrp.service_url",
        "https://apps.who.int/trialsearch/TrialService.asmx",
        url,
        "The ICTRP web service.",
    ),
)
