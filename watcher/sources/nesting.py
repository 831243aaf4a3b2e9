"""How deep a streamed JSON answer nests, followed as it is read, before the parser sees it.

The streaming parser (ijson) names each value by its whole path: a 200 KB array nested
100,000 deep costs it gigabytes and minutes (O(depth²)), long before a check of the parsed
study could refuse it. So the bytes are watched first, at C speed: everything but brackets,
quotes and backslashes is dropped (``bytes.translate``), escapes and whole strings are cut
out (two regular expressions), and the depth is the running sum of what is left
(``itertools.accumulate``). An escape or a string split between two reads is carried over.
"""

from __future__ import annotations

import re
from itertools import accumulate

_KEPT = b'[]{}"\\'
_DROPPED = bytes(b for b in range(256) if b not in _KEPT)
_ESCAPE = re.compile(rb"\\.", re.S)
_STRING = re.compile(rb'"[^"]*"')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class Nesting:
    """The depth of a JSON text read in pieces; ``feed`` returns the deepest point so far."""

    def __init__(self) -> None:
        self.depth = 0
        self.deepest = 0
        self._escape = b""  # a backslash that ended the last read
        self._open = b""  # a string the last read left open, as kept

    def feed(self, chunk: bytes) -> int:
        raw = _ESCAPE.sub(b"", self._escape + chunk)
        self._escape = b""
        if raw.endswith(b"\\"):
            raw, self._escape = raw[:-1], b"\\"
        text = _STRING.sub(b"", self._open + raw.translate(None, _DROPPED))
        self._open = b""
        quote = text.find(b'"')
        if quote >= 0:  # a string still open: what follows it waits for the next read
            text, self._open = text[:quote], text[quote:]
        if text:
            steps = accumulate(map(_STEP.__getitem__, text), initial=self.depth)
            self.deepest = max(self.deepest, max(steps))
            self.depth += text.count(b"[") + text.count(b"{") - text.count(b"]") - text.count(b"}")
        return self.deepest
