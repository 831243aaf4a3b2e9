"""What the tests need of this machine: a free loopback port, and a program Debian installs
(missing in CI is a failure, since `scripts/test` installs it; elsewhere the test skips)."""

from __future__ import annotations

import os
import shutil
import socket

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def program(*names: str, package: str) -> str:
    """The path of the first of ``names`` installed, from Debian's ``package``."""
    for name in names:
        if found := shutil.which(name):
            return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{names[0]} is missing in CI (scripts/test installs {package})")
    pytest.skip(f"{names[0]} is not installed here ({package})")
