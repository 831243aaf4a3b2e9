"""Where the files shipped beside the code are: in the wheel, or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """``migrations`` (or another top-level folder) as installed in the wheel
    (``watcher/_data/NAME``) or, in a source checkout, at the repository's top level."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"watcher's {name}/ folder is missing from this installation")
