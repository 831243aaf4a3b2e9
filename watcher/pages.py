"""The web view's addresses: one table of its pages, from which the web app takes its routes
and its templates, e-mails and reports their links. A leaf: it imports nothing of watcher."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, urlencode

# In Starlette's route syntax; the first route that matches wins, so a trial's sub-pages
# come before the trial page (a trial ID may hold "/": CTRI/2020/01/022345).
PAGES: dict[str, str] = {
    "trials": "/",
    "diff": "/trial/{trial_id:path}/diff",
    "export": "/trial/{trial_id:path}/export.csv",
    "trial": "/trial/{trial_id:path}",
    "review": "/review",
    "searches": "/searches",
    "search": "/searches/{search}",
    "feed": "/feed.atom",
    "healthz": "/healthz",
}

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def page_path(name: str, query: Mapping[str, object] | None = None, **params: str) -> str:
    """The path of page ``name`` (``trial_id=...`` fills its parameter), with ``query``
    (None values left out)."""

    def fill(match: re.Match[str]) -> str:
        return quote(str(params[match.group(1)]))

    path = _PARAM.sub(fill, PAGES[name])
    wanted = {k: v for k, v in (query or {}).items() if v is not None}
    return f"{path}?{urlencode(wanted)}" if wanted else path


def page_url(base: str, name: str, **params: str) -> str | None:
    """The full address of a page under the web view's public address (``serve.public_url``);
    None when there is none."""
    return f"{base.rstrip('/')}{page_path(name, None, **params)}" if base else None
