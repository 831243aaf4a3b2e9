"""The real `watcher run` process against the local register server, with every fault a
register shows, and a real SMTP server; then SIGTERM. No timed assertion: conditions are
waited for with a deadline."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import mail_config, run_watcher, write_config
from tests.registry_server import Fault, RegistryServer, RegistryState, study_as
from tests.smtp import SmtpServer

pytestmark = pytest.mark.e2e
SMALL = Path(__file__).parent / "data" / "ctgov" / "biomcp_get_nct02576665_20260811.json"


def _plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None, message["Subject"]
    return str(body.get_content())


def wait_for(condition: Callable[[], Any], deadline: float = 60.0, what: str = "") -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"not within {deadline:.0f} s: {what}")


def start_daemon(config: Path, log: Path) -> subprocess.Popen[str]:
    """The daemon, its log (one line per check) to a file: a pipe nobody reads fills up and
    blocks the process that writes to it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env |= {"WATCHER_CONFIG": str(config), "PYTHONUTF8": "1"}
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "watcher", "run"],
            stdout=subprocess.DEVNULL,
            stderr=out,
            text=True,
            env=env,
        )


def status(config: Path) -> dict[str, Any]:
    result = run_watcher(["status", "--json"], config)
    document: dict[str, Any] = orjson.loads(result.stdout)
    return document


def watches(config: Path) -> dict[str, dict[str, Any]]:
    return {w["trial_id"]: w for w in orjson.loads(run_watcher(["list", "--json"], config).stdout)}


IDS = [f"NCT{i:08d}" for i in range(1, 201)]
GONE_404, GONE_410, BROKEN_500, HTML_PAGE = IDS[10], IDS[20], IDS[30], IDS[40]
UNREACHABLE = "DRKS00012345"  # through ICTRP, which points at a closed port
PERSISTENT = [GONE_404, GONE_410, BROKEN_500, HTML_PAGE, UNREACHABLE]


@pytest.fixture
def faulty() -> Any:
    small = orjson.loads(SMALL.read_bytes())
    state = RegistryState(studies={t: study_as(small, t) for t in IDS}, page_limit=50)
    for tid in (GONE_404, GONE_410, HTML_PAGE):
        del state.studies[tid]
    state.faults[GONE_410] = Fault(410, b"{}", "application/json")
    state.faults[BROKEN_500] = Fault(500)
    state.faults[HTML_PAGE] = Fault(
        200, b"<html><body>Service unavailable</body></html>", "text/html"
    )
    # Transient faults of the batch endpoint, one of each: retried, never a version.
    state.faults["batch"] = Fault(503, times=1)
    with RegistryServer(state) as server:
        yield server


def test_cycles_with_every_fault_lose_nothing_and_stop_on_sigterm(
    faulty: RegistryServer, tmp_path: Path
) -> None:
    smtp = SmtpServer().start()
    config = mail_config(
        tmp_path / "watcher.toml", faulty.url, f"sqlite:///{tmp_path}/w.db", smtp.port
    )
    text = config.read_text().replace(
        '[sources.ictrp]\nbase_url = "' + faulty.url,
        '[sources.ictrp]\nbase_url = "http://127.0.0.1:9',
    )
    text = text.replace('timeout = "5s"', 'timeout = "1s"')
    config.write_text(
        text + '\n[schedule]\ncheck_interval = "3s"\ntick = "1s"\nfailures_before_alert = 2\n'
    )
    assert run_watcher(["add", "--no-fetch", *IDS, UNREACHABLE], config).returncode == 0
    log = tmp_path / "daemon.log"
    daemon = start_daemon(config, log)
    try:

        def all_seen() -> bool:
            w = watches(config)
            return all(w[t]["last_checked_at"] for t in w) and all(
                w[t]["consecutive_failures"] >= 3 for t in PERSISTENT
            )

        wait_for(all_seen, what="every trial checked and the broken ones failing")
        # More transient faults while it runs: a timeout, a 429 with Retry-After, a body cut
        # short; each is retried (or the batch split) and the trials are stored as usual.
        faulty.state.faults["batch"] = Fault(200, b"{}", "application/json", delay=2.5, times=1)
        for tid in IDS[100:110]:
            faulty.state.studies[tid]["protocolSection"]["statusModule"]["overallStatus"] = (
                "COMPLETED"
            )
        wait_for(
            lambda: all(watches(config)[t]["versions"] == 2 for t in IDS[100:110]),
            what="the ten changed trials have a second version",
        )
        faulty.state.faults["batch"] = Fault(429, b"", headers={"Retry-After": "1"}, times=1)
        faulty.state.studies[IDS[150]]["protocolSection"]["statusModule"]["overallStatus"] = (
            "SUSPENDED"
        )
        wait_for(lambda: watches(config)[IDS[150]]["versions"] == 2, what="after a 429")
        faulty.state.faults["batch"] = Fault(
            200, b'{"studies": [{"protocolSection": {"iden', "application/json", times=1
        )
        faulty.state.studies[IDS[160]]["protocolSection"]["statusModule"]["overallStatus"] = (
            "WITHDRAWN"
        )
        wait_for(lambda: watches(config)[IDS[160]]["versions"] == 2, what="after a truncated body")
        before = status(config)
        assert before["healthy"] is True
        # What the last cycle did, from its record: it checked (its share of) the trials.
        assert before["last_checks"]["checked"] >= 1
        assert before["last_checks"]["finished_at"] >= before["last_checks"]["started_at"]
        assert sorted(before["failing"]) == sorted(PERSISTENT)
    except AssertionError as failure:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        err = log.read_text()
        shown = "\n".join(line for line in err.splitlines() if " unchanged in " not in line)
        raise AssertionError(
            f"{failure}\ndaemon log, unchanged checks left out:\n{shown[-6000:]}"
        ) from None
    finally:
        if daemon.returncode is None:
            daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=20)
        finally:
            smtp.stop()
    err = log.read_text()
    assert daemon.returncode == 0, err[-3000:]
    assert "stopped" in err
    assert "Traceback" not in err

    w = watches(config)
    healthy = [t for t in IDS if t not in PERSISTENT]
    assert all(w[t]["versions"] >= 1 for t in healthy)  # nothing lost
    assert all(w[t]["versions"] == 0 for t in PERSISTENT)  # a failure never makes a version
    changed = {*IDS[100:110], IDS[150], IDS[160]}
    assert {t for t in healthy if w[t]["versions"] == 2} == changed
    assert "no such record (HTTP 404" in w[GONE_404]["last_error"]
    assert "no such record (HTTP 410" in w[GONE_410]["last_error"]
    assert "HTTP 500" in w[BROKEN_500]["last_error"]
    assert "expected JSON" in w[HTML_PAGE]["last_error"]
    assert "cannot reach http://127.0.0.1:9" in w[UNREACHABLE]["last_error"]

    # Versions are numbered without gap or double; the file is sound.
    db = sqlite3.connect(tmp_path / "w.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = db.execute("SELECT watch_id, COUNT(*), MAX(version) FROM snapshot GROUP BY watch_id")
    assert all(count == top for _, count, top in rows)
    db.close()

    # The digest counts the cycles of its period.
    digest = run_watcher(["digest"], config).stdout
    assert re.search(r"The daemon completed \d+ check cycles? in it\.", digest), digest

    # Each failing trial was reported once, in the alert of the check that made it failing.
    failing_sections = [
        _plain(m).split("Now failing", 1)[1] for m in smtp.messages if "failing" in m["Subject"]
    ]
    for tid in PERSISTENT:
        assert sum(tid in section for section in failing_sections) == 1, tid
    assert any("record no longer found" in s for s in failing_sections)
    # The changes were alerted too, one message per check run.
    alerted = " ".join(_plain(m) for m in smtp.messages)
    assert all(t in alerted for t in changed)


def test_status_exits_1_when_no_cycle_ran(tmp_path: Path) -> None:
    from tests.conftest import write_config

    config = write_config(tmp_path / "w.toml", "http://127.0.0.1:9", f"sqlite:///{tmp_path}/w.db")
    result = run_watcher(["status"], config)
    assert result.returncode == 1
    assert "The daemon has never completed a cycle" in result.stdout
    assert status(config)["healthy"] is False


def test_sigterm_mid_request_stops_the_daemon_within_seconds(tmp_path: Path) -> None:
    small = orjson.loads(SMALL.read_bytes())
    tid = IDS[0]
    state = RegistryState(studies={tid: study_as(small, tid)})
    with RegistryServer(state) as server:
        config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path}/w.db")
        config.write_text(config.read_text() + '\n[schedule]\ncheck_interval = "3s"\ntick = "1s"\n')
        assert run_watcher(["add", tid], config).returncode == 0
        # Every answer from now on trickles in, a byte a second: a request that would take
        # hours, within every per-read timeout and far within the 1 minute deadline.
        body = orjson.dumps(state.studies[tid])
        state.faults[tid] = Fault(mode="trickle", body=body, delay=1.0, times=99)
        log = tmp_path / "daemon.log"
        daemon = start_daemon(config, log)
        try:
            wait_for(lambda: state.requests["/api/v2/studies"] >= 2, what="a request in flight")
            time.sleep(1)
            daemon.send_signal(signal.SIGTERM)
            # systemd waits TimeoutStopSec=20 before it kills; the answer in flight would
            # take hours: the daemon must end the request, not wait for it.
            daemon.wait(timeout=15)
        finally:
            if daemon.returncode is None:
                daemon.kill()
    err = log.read_text()
    assert daemon.returncode == 0, err[-3000:]
    assert "Traceback" not in err
