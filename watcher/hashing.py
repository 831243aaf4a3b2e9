"""A stable content hash of a normalized record.

Pure, and contains no business logic: sorted-keys compact JSON, hashed with SHA-256, behind a
version prefix so that the function can change without every stored hash looking changed
(``is_current`` tells an old hash, and the record it was made of can be hashed again).

Version 2 sorts the lists whose order means nothing (``fields.ORDERLESS``: countries, sites,
outcomes...), and folds every run of whitespace (spaces, line breaks, indentation) inside
strings to one space, so that a register reordering lists or reflowing text makes no version.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from watcher.fields import ORDERLESS
from watcher.model import Record

HASH_VERSION = 2


def _sort_key(item: Any) -> bytes:
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)


def canonical_json(record: Record) -> bytes:
    """The record as bytes that depend on its content only, never on key order or on the
    order of lists whose order means nothing."""
    canonical = {
        key: sorted(value, key=_sort_key) if key in ORDERLESS and isinstance(value, list) else value
        for key, value in record.items()
    }
    return fold_whitespace(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS))


# Spaces and the JSON escapes of line breaks and tabs, inside serialized strings (a JSON
# document has no whitespace of its own without OPT_INDENT). Folding the serialized bytes
# costs one regex pass instead of a walk over every string of the record.
_WHITESPACE = re.compile(rb"(?:\\[nrt]| )+")


def fold_whitespace(serialized: bytes) -> bytes:
    return _WHITESPACE.sub(b" ", serialized)


def content_hash(record: Record) -> str:
    return f"{HASH_VERSION}:{hashlib.sha256(canonical_json(record)).hexdigest()}"


def is_current(digest: str) -> bool:
    """Whether ``digest`` was made by this version of the hash function."""
    return digest.startswith(f"{HASH_VERSION}:")
