"""HTML pages of the registers, decoded and parsed the same way for every adapter."""

from __future__ import annotations

import re
from typing import Any

from lxml import html as lxml_html


def decode_html(data: bytes) -> str:
    """A page's text: UTF-8 when it is, else Windows-1252 (never lxml's Latin-1 guess, which
    turns "Hôpital" into "HÃ´pital" when the page names no charset)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_html(data: bytes) -> Any:
    text = decode_html(data)
    # lxml refuses str input that declares its own encoding.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    return lxml_html.fromstring(text)
