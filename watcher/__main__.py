"""`python -m watcher` runs the command line."""

from __future__ import annotations

from watcher.cli import main

main()
