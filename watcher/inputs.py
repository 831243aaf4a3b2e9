"""A user's file read whole, within a bound: `import` and `parse` of a file that never ends
(a device, a pipe left open, a runaway export) stop with an error naming it, never once the
kernel has ended the process."""

from __future__ import annotations

from pathlib import Path

from watcher.errors import InputError

# The whole ICTRP export of every register is under this; a list of trial IDs far under.
MAX_INPUT = 1024**3
_BLOCK = 1024 * 1024


def read_input(path: str | Path, limit: int | None = None) -> bytes:
    """The file's bytes; ``InputError`` naming it when it cannot be read or passes ``limit``
    (``MAX_INPUT``)."""
    limit = MAX_INPUT if limit is None else limit
    parts: list[bytes] = []
    size = 0
    try:
        with Path(path).open("rb") as file:
            while block := file.read(_BLOCK):
                size += len(block)
                if size > limit:
                    raise InputError(
                        str(path), f"larger than {limit // 1024**2:,} MB: not a file watcher reads"
                    )
                parts.append(block)
    except OSError as e:
        raise InputError(str(path), f"cannot read it ({e.strerror})") from None
    return b"".join(parts)
