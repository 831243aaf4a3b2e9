"""Logging to stderr, one line per event (journald adds the time under systemd)."""

from __future__ import annotations

import logging
import re
import sys

_SECRET = re.compile(r"((?:password|passwd|token|apikey|api_key)=)[^&\s]*", re.IGNORECASE)


def redact(url: object) -> str:
    """A URL (or a message holding one) fit for messages and logs: credentials in its query
    are starred out."""
    return _SECRET.sub(r"\1***", str(url))


class _Redact(logging.Filter):
    """httpx logs each request's URL at -vv; a web-service password must not reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def configure_logging(verbosity: int) -> None:
    """0: warnings only; 1 (-v): one line per check; 2 (-vv): debug, HTTP included."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if verbosity < 2:
        # httpx logs every request at INFO; that is -vv detail, not -v.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
