"""Shared fixtures: databases (SQLite always, PostgreSQL when available), a local register
server, settings pointing at it, and a way to run the real `watcher` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from tests.postgres import throwaway_postgres
from tests.registry_server import RegistryServer, RegistryState, load_study
from watcher.config import Settings, from_mapping
from watcher.store.db import make_engine
from watcher.store.sql import SqlStore, open_store

if TYPE_CHECKING:
    from click.testing import Result

NCT = "NCT04267848"


# A test that starts a process (the real command, a browser, a server, a tool) is marked
# e2e (or postgres, whose server is one), so that the fast loop (-m "not e2e and not
# postgres") stays fast: a test that spawns one unmarked fails here, naming the command.
_popen_init = subprocess.Popen.__init__
# What libraries run once to find a shared library (ctypes.util): not a test's process.
_PROBES = {"ldconfig", "uname", "gcc", "cc"}


@pytest.fixture(autouse=True)
def _processes_only_in_e2e_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    if any(request.node.get_closest_marker(m) for m in ("e2e", "postgres")):
        yield  # (a PostgreSQL test starts the throwaway server when it is first needed)
        return

    def refused(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
        program = Path(str(args[0] if isinstance(args, list | tuple) else args).split()[0])
        if program.name in _PROBES:
            return _popen_init(self, args, *rest, **kw)
        raise AssertionError(
            f"{request.node.nodeid} starts a process ({args!r}): mark it e2e, or run the "
            "command in this process (tests.conftest.run_cli)"
        )

    subprocess.Popen.__init__ = refused  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = _popen_init  # type: ignore[method-assign]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite the golden files from the current code (review the diff!).",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    if url := os.environ.get("WATCHER_TEST_POSTGRES_URL"):
        yield url
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or the PostgreSQL test database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watcher.db'}"
    url = request.getfixturevalue("postgres_server")
    if url is None:
        if os.environ.get("WATCHER_REQUIRE_POSTGRES"):
            pytest.fail("WATCHER_REQUIRE_POSTGRES is set but no PostgreSQL server is available")
        pytest.skip("PostgreSQL is not installed here (CI installs it)")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return str(url)


@pytest.fixture
def repo(db_url: str) -> Iterator[SqlStore]:
    repository = open_store(db_url)
    yield repository
    assert repository.engine.pool.checkedout() == 0, "a connection was leaked"  # type: ignore[attr-defined]
    repository.engine.dispose()


@pytest.fixture
def ctgov_state() -> RegistryState:
    return RegistryState(studies={NCT: load_study()})


@pytest.fixture
def server(ctgov_state: RegistryState) -> Iterator[RegistryServer]:
    with RegistryServer(ctgov_state) as srv:
        yield srv


def settings_for(base_url: str, db: str | None = None, **http: object) -> Settings:
    fast = {"base_url": base_url, "requests_per_minute": 6000}
    data: dict[str, object] = {
        "sources": {"ctgov": fast, "ictrp": fast, "euctr": fast, "ctis": fast, "isrctn": fast},
        "http": {"timeout": "5s", "retries": 1, "backoff": "1s", **http},
    }
    if db:
        data["database"] = {"url": db}
    return from_mapping(data, "test settings", env={})


@pytest.fixture
def settings(server: RegistryServer) -> Settings:
    return settings_for(server.url)


def write_config(path: Path, base_url: str, db_url: str) -> Path:
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        f'[sources.ctgov]\nbase_url = "{base_url}"\nrequests_per_minute = 6000\n\n'
        f'[sources.ictrp]\nbase_url = "{base_url}"\nrequests_per_minute = 6000\n\n'
        f'[sources.euctr]\nbase_url = "{base_url}"\nrequests_per_minute = 6000\n\n'
        f'[sources.ctis]\nbase_url = "{base_url}"\nrequests_per_minute = 6000\n\n'
        f'[sources.isrctn]\nbase_url = "{base_url}"\nrequests_per_minute = 6000\n\n'
        '[http]\ntimeout = "5s"\nretries = 1\nbackoff = "1s"\ncontact = "tests@example.org"\n',
        encoding="utf-8",
    )
    return path


def run_watcher(
    args: Sequence[str], config: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process, as a user runs it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    full_env["PYTHONUTF8"] = "1"
    if config is not None:
        full_env["WATCHER_CONFIG"] = str(config)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def run_cli(
    args: Sequence[str], config: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command in this process, answered as ``run_watcher`` answers: for the tests of
    what a command prints and exits with, where no process is needed."""
    from click.testing import CliRunner

    from watcher.cli import cli

    full_env = dict(env or {})
    if config is not None:
        full_env["WATCHER_CONFIG"] = str(config)
    result = CliRunner(env=full_env).invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def watcher_cli(config: Path, *args: str, expect: int | None = 0) -> Result:
    """The command, in this process (where the process itself is not the point): its exit
    code is checked against ``expect`` (None: not checked), its output returned."""
    from click.testing import CliRunner

    from watcher.cli import cli

    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if expect is not None:
        assert result.exit_code == expect, (args, result.output)
    return result


@pytest.fixture
def smtp() -> Iterator[Any]:
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


def mail_config(path: Path, base_url: str, db_url: str, smtp_port: int, extra: str = "") -> Path:
    """A config with e-mail on, to the local SMTP server."""
    write_config(path, base_url, db_url)
    with path.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[email]\nenabled = true\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
            'from = "watcher@hospital.example"\nto = ["trials-office@hospital.example"]\n'
            f'retry_after = "1s"\n{extra}'
        )
    return path
