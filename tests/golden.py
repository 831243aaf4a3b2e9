"""Golden files: a real payload's normalized records, stored beside it and compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from watcher.core.model import RECORD_KEYS


def check_golden(golden: Path, records: list[dict[str, Any]], update: bool) -> None:
    """``records`` equal the golden file (rewritten first with ``--update-golden``), and each
    starts with the contract's keys in the contract's order."""
    if update:
        golden.write_bytes(orjson.dumps(records, option=orjson.OPT_INDENT_2) + b"\n")
    assert golden.exists(), f"no golden file {golden.name}: run pytest --update-golden, review it"
    assert orjson.loads(golden.read_bytes()) == records
    for record in records:
        assert list(record)[: len(RECORD_KEYS)] == list(RECORD_KEYS)
