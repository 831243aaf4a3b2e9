"""How a version's record and raw payload are kept: zstd, and between two versions of one
trial, zstd with the version before as its dictionary.

A new version of a record usually differs from the one before in a few fields, so it costs
tens of bytes instead of the 5-10 KB of a compressed record (../docs/benchmarks.md). Every
``KEYFRAME_EVERY``-th version is compressed on its own, which bounds how many versions are
decompressed to read one. A version on its own is what grows with the watch list: once a
register has enough of them, a dictionary trained on its records takes a third to a half off
each (docs/benchmarks.md, "What a trial costs to store"); such a version names its
dictionary (``zstd+d7``), and versions stored before it are read as they were written.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

FULL = "zstd"
DELTA = "zstd-delta"  # against the version before
TRAINED = "zstd+d"  # on its own, with the trained dictionary of this number: "zstd+d7"
KEYFRAME_EVERY = 16
LEVEL = 9
# zstd takes any bytes as a raw dictionary, but not next to nothing.
_MIN_DICTIONARY = 8


def standalone(name: str) -> bool:
    """Whether a version stored with codec ``name`` is read without the version before."""
    return name != DELTA


def trained(dictionary: int) -> str:
    """The codec of a version compressed with trained dictionary number ``dictionary``."""
    return f"{TRAINED}{dictionary}"


def dictionary_of(name: str) -> int | None:
    """The trained dictionary a codec names, if any."""
    return int(name.removeprefix(TRAINED)) if name.startswith(TRAINED) else None


def train(samples: list[bytes], size: int) -> bytes | None:
    """A dictionary trained on ``samples``; None when zstd finds too little to learn."""
    try:
        return zstd.train_dict(samples, size).dict_content
    except zstd.ZstdError:
        return None


def is_keyframe(version: int) -> bool:
    """Whether ``version`` is stored on its own whatever the version before."""
    return version % KEYFRAME_EVERY == 1


def codec_for(
    version: int, previous: tuple[bytes, bytes] | None, dictionary: int | None = None
) -> str:
    """How version ``version`` is stored, given the version before (its record and raw
    payload, packed against theirs with the one codec), if any: on its own when either is too
    short to serve as a dictionary (an empty answer of a few bytes), with the register's
    trained ``dictionary`` when it has one."""
    if (
        previous is None
        or any(len(blob) < _MIN_DICTIONARY for blob in previous)
        or is_keyframe(version)
    ):
        return FULL if dictionary is None else trained(dictionary)
    return DELTA


def pack(
    data: bytes, codec: str, previous: bytes | None = None, dictionary: bytes | None = None
) -> bytes:
    """``data`` compressed as ``codec`` says: against ``previous`` (DELTA), with the trained
    ``dictionary`` its name gives (TRAINED; an empty one is no dictionary), or on its own."""
    if codec == DELTA:
        assert previous is not None
        return zstd.compress(data, LEVEL, zstd_dict=zstd.ZstdDict(previous, is_raw=True))
    if dictionary_of(codec) is not None and dictionary:
        return zstd.compress(data, LEVEL, zstd_dict=zstd.ZstdDict(dictionary))
    return zstd.compress(data, LEVEL)


def unpack(
    blob: bytes, codec: str, previous: bytes | None = None, dictionary: bytes | None = None
) -> bytes:
    if codec == DELTA:
        if previous is None:
            raise ValueError("a delta-compressed version needs the version before it")
        return zstd.decompress(blob, zstd_dict=zstd.ZstdDict(previous, is_raw=True))
    if dictionary_of(codec) is not None and dictionary:
        return zstd.decompress(blob, zstd_dict=zstd.ZstdDict(dictionary))
    return zstd.decompress(blob)
