"""A throwaway PostgreSQL server for the tests (initdb and pg_ctl from Debian's
packages, on loopback; see README "Development")."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tests.machine import free_port


def _pg_bin() -> str | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) if x.isdigit() else x for x in p.split("/")[-2].split(".")],
    )
    for directory in reversed(candidates):
        if os.path.exists(os.path.join(directory, "initdb")):
            return directory
    return None


@contextmanager
def throwaway_postgres() -> Iterator[str | None]:
    """Yield the URL of a fresh server with a ``watcher_test`` database, or None when
    PostgreSQL is not installed here."""
    pgbin = _pg_bin()
    if pgbin is None:
        yield None
        return
    root = os.geteuid() == 0
    as_pg = ["runuser", "-u", "postgres", "--"] if root else []
    tmp = tempfile.mkdtemp(prefix="watcher-pg-")
    if root:
        shutil.chown(tmp, "postgres", "postgres")
    data, port = os.path.join(tmp, "data"), free_port()
    run = {"check": True, "capture_output": True}
    subprocess.run(
        [
            *as_pg,
            f"{pgbin}/initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        **run,
    )  # type: ignore[call-overload]
    subprocess.run(
        [
            *as_pg,
            f"{pgbin}/pg_ctl",
            "-D",
            data,
            "-l",
            f"{tmp}/log",
            "-w",
            "-t",
            "30",
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off",
            "start",
        ],
        **run,
    )  # type: ignore[call-overload]
    try:
        subprocess.run(
            [
                f"{pgbin}/createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "watcher_test",
            ],
            **run,
        )  # type: ignore[call-overload]
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/watcher_test"
    finally:
        subprocess.run(
            [*as_pg, f"{pgbin}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(tmp, ignore_errors=True)
