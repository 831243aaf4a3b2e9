"""`watcher serve` in its own process, as a user runs it, on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.machine import free_port


class Served:
    """``with Served(config) as web:`` serves the web view until the block ends (SIGTERM)."""

    def __init__(self, config: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
        env.update(PYTHONUTF8="1", WATCHER_CONFIG=str(config))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "watcher", "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.returncode: int | None = None
        self.stderr = ""

    def __enter__(self) -> Served:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"watcher serve exited: {self.proc.communicate()[1]}")
            try:
                httpx.get(f"{self.url}/healthz", timeout=15)  # (a large office answers in seconds)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("watcher serve did not answer within 30 s")

    def stop(self) -> int:
        if self.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            _out, self.stderr = self.proc.communicate(timeout=30)
            self.returncode = self.proc.returncode
        return self.returncode

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
