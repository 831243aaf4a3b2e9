"""The command line (docs/contract.md §1): parses arguments, calls the service, prints. The only
package that prints or exits.

``app`` holds the group, the shared options and the error handling; each other module holds
the commands of one topic. Commands import what they use when they run, so `watcher --help`
loads neither the database nor HTTP.
"""

from __future__ import annotations

from watcher.cli import checks, history, offline, reports, searches, watches, web
from watcher.cli.app import cli, main

__all__ = ["checks", "cli", "history", "main", "offline", "reports", "searches", "watches", "web"]
