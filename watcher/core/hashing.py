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

from watcher.core.fields import ORDERLESS
from watcher.core.model import Record

HASH_VERSION = 2
# Bump when a change to the shared normalization (``watcher.core.normalize``, ``lenient``,
# the markup reading in ``watcher.sources.markup``) reads some payloads differently: the
# payload fingerprints change, so the next check reads every record again instead of trusting
# "same bytes, same record". A change inside one adapter bumps that adapter's
# ``parser_version`` instead (README, "What watcher promises").
NORMALIZATION_VERSION = 1


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


# Inside serialized strings, line breaks and tabs are the escapes \n \r \t (a JSON document
# has no whitespace of its own without OPT_INDENT). Replacing them and folding runs of spaces
# over the bytes costs ~0.7 ms for a 165 KB record, a regex alternation ~5 ms, a walk over
# every string more. (A text holding a backslash followed by "n" folds too: harmless.)
_SPACE_RUN = re.compile(rb"  +")


def fold_whitespace(serialized: bytes) -> bytes:
    spaced = serialized.replace(b"\\n", b" ").replace(b"\\r", b" ").replace(b"\\t", b" ")
    return _SPACE_RUN.sub(b" ", spaced)


def content_hash(record: Record) -> str:
    return f"{HASH_VERSION}:{hashlib.sha256(canonical_json(record)).hexdigest()}"


def is_current(digest: str) -> bool:
    """Whether ``digest`` was made by this version of the hash function."""
    return digest.startswith(f"{HASH_VERSION}:")


def payload_fingerprint(parser: str, payload: bytes) -> str:
    """A fingerprint of a fetched payload: the same bytes read by the same parser (``"ictrp:2"``)
    are the same record, so an unchanged check can skip normalizing them. It includes the
    parser's version and the shared normalization's (never the release number: a release that
    forgot to bump them would otherwise trust stale readings, and one that changed nothing
    would read everything again)."""
    salt = f"{parser}:{NORMALIZATION_VERSION}:{HASH_VERSION}:".encode()
    return hashlib.sha256(salt + payload).hexdigest()
