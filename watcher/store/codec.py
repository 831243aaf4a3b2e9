"""How a version's record and raw payload are kept: zstd, and between two versions of one
trial, zstd with the version before as its dictionary.

A new version of a record usually differs from the one before in a few fields, so it costs
tens of bytes instead of the 5-10 KB of a compressed record (../docs/benchmarks.md). Every
``KEYFRAME_EVERY``-th version is compressed on its own, which bounds how many versions are
decompressed to read one.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

FULL = "zstd"
DELTA = "zstd-delta"  # against the version before
KEYFRAME_EVERY = 16
LEVEL = 9
# zstd takes any bytes as a raw dictionary, but not next to nothing.
_MIN_DICTIONARY = 8


def is_keyframe(version: int) -> bool:
    """Whether ``version`` is stored on its own whatever the version before."""
    return version % KEYFRAME_EVERY == 1


def codec_for(version: int, previous: tuple[bytes, bytes] | None) -> str:
    """How version ``version`` is stored, given the version before (its record and raw
    payload, packed against theirs with the one codec), if any: on its own when either is too
    short to serve as a dictionary (an empty answer of a few bytes)."""
    if (
        previous is None
        or any(len(blob) < _MIN_DICTIONARY for blob in previous)
        or is_keyframe(version)
    ):
        return FULL
    return DELTA


def pack(data: bytes, codec: str, previous: bytes | None = None) -> bytes:
    if codec == DELTA:
        assert previous is not None
        return zstd.compress(data, LEVEL, zstd_dict=zstd.ZstdDict(previous, is_raw=True))
    return zstd.compress(data, LEVEL)


def unpack(blob: bytes, codec: str, previous: bytes | None = None) -> bytes:
    if codec == DELTA:
        if previous is None:
            raise ValueError("a delta-compressed version needs the version before it")
        return zstd.decompress(blob, zstd_dict=zstd.ZstdDict(previous, is_raw=True))
    return zstd.decompress(blob)
