"""A stable content hash of a normalized record.

Pure, and contains no business logic: sorted-keys compact JSON, hashed with SHA-256, behind a
version prefix so that the function can change without every stored hash looking changed.
"""

from __future__ import annotations

import hashlib

import orjson

from watcher.model import Record

HASH_VERSION = 1


def canonical_json(record: Record) -> bytes:
    """The record as bytes that depend on its content only, never on key order."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def content_hash(record: Record) -> str:
    return f"{HASH_VERSION}:{hashlib.sha256(canonical_json(record)).hexdigest()}"
