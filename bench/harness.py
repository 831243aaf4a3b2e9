"""Shared by the benchmarks: the local register in its own process, a config pointing at it,
and the real `watcher` command run as a child process with its CPU time and peak memory."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
# The Python that runs watcher: this one, or (WATCHER_BENCH_PYTHON) one of a virtualenv holding
# watcher and its runtime dependencies only, as an office installs it: the development tools
# (Selenium's trio among them) cost every start-up tens of milliseconds of imports.
PYTHON = os.environ.get("WATCHER_BENCH_PYTHON") or sys.executable


@dataclass
class Run:
    """One `watcher` command: wall and CPU seconds, peak RSS in MB, its output."""

    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


@contextmanager
def register(*args: str) -> Iterator[str]:
    """Start bench/register.py with ``args``; yields its base URL."""
    proc = subprocess.Popen(
        [PYTHON, str(ROOT / "bench" / "register.py"), *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"bench/register.py did not start: {url!r}")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def control(url: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url + path, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return orjson.loads(response.read())


def write_config(path: Path, url: str, database: str, ctgov: str = "", **schedule: str) -> Path:
    """``ctgov``: more lines for [sources.ctgov] (``page_size = 200``, say)."""
    lines = [
        "[database]",
        f'url = "{database}"',
        "[schedule]",
        *(f'{k} = "{v}"' for k, v in schedule.items()),
        "[http]",
        'contact = "bench@example.org"',
        "[sources.ctgov]",
        f'base_url = "{url}"',
        ctgov,
        "[sources.ictrp]",
        f'base_url = "{url}"',
        "requests_per_minute = 6000",
        "[sources.euctr]",
        f'base_url = "{url}"',
        "requests_per_minute = 6000",
        "[email]",
        "enabled = false",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def watcher(args: Sequence[str], config: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``watcher ARGS`` to its end: its wall time, and its own CPU time and peak RSS
    (from wait4, so neither this process nor the register counts)."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(
            [PYTHON, "-m", "watcher", "--config", str(config), *args],
            stdout=subprocess.PIPE,
            stderr=null,
            env={**os.environ, **(env or {})},
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, proc.returncode, out.decode(), "")


@contextmanager
def daemons(config: Path, logs: Sequence[Path]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One `watcher run` per log file (its output goes there), all ended with SIGTERM."""
    procs = []
    try:
        for log in logs:
            with open(log, "wb") as out:
                procs.append(
                    subprocess.Popen(
                        [PYTHON, "-m", "watcher", "--config", str(config), "run"],
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield procs
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(60)


def rss_mb(pid: int) -> float:
    """Resident memory of a running process now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) / 2**20:.0f} GiB, "
        f"Python {sys.version.split()[0]}"
    )


def db_size_mb(database: str) -> float:
    """Bytes the database takes on disk: the SQLite file (after a checkpoint of its WAL), or
    pg_database_size for PostgreSQL."""
    if database.startswith("sqlite:///"):
        import sqlite3

        path = database.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(path).stat().st_size / 2**20
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return float(size) / 2**20
