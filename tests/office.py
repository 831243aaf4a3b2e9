"""A trials office's database for the web view's tests: watched trials on the local register
server, one changed (its new title holds markup), one failing, checked by the real command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import NCT, watcher_cli, write_config
from tests.registry_server import Fault, RegistryServer, RegistryState, load_study, study_as

QUIET, FAILING = "NCT00000102", "NCT00000105"
MARKUP_TITLE = "<script>alert('x')</script> Chemo-IO & <b>friends</b>"


@dataclass(frozen=True)
class Office:
    config: Path
    db_url: str
    server: RegistryServer


@contextmanager
def office(directory: Path) -> Iterator[Office]:
    state = RegistryState(
        studies={
            NCT: load_study(),
            QUIET: study_as(load_study(), QUIET),
            FAILING: study_as(load_study(), FAILING),
        }
    )
    with RegistryServer(state) as server:
        db_url = f"sqlite:///{directory / 'watcher.db'}"
        config = write_config(directory / "watcher.toml", server.url, db_url)
        for ids, tag in (([NCT, FAILING], "oncology"), ([QUIET], "cardiology")):
            watcher_cli(config, "add", *ids, "--tag", tag)
        ps = state.studies[NCT]["protocolSection"]
        ps["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
        ps["identificationModule"]["briefTitle"] = MARKUP_TITLE
        state.faults[FAILING] = Fault(status=500)
        for _ in range(3):  # failing three times in a row: marked failing
            watcher_cli(config, "check", expect=1)
        yield Office(config, db_url, server)
