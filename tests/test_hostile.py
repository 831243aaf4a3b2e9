"""A hostile register on loopback: one check of twenty trials, five of whose answers attack
(a redirect loop, a 300-deep array, another study's record, a gzip bomb of 1 GB, a byte
every two seconds). Those five fail by ID with a plain reason; the fifteen others are checked
and stored as usual, within bounded time and memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import run_watcher, watcher_cli, write_config
from tests.registry_server import (
    SMALL_STUDY,
    Fault,
    RegistryServer,
    RegistryState,
    euctr_download_of,
    load_study,
    study_as,
)

DATA = Path(__file__).parent / "data"
PAGE = (DATA / "ictrp" / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt").read_text("utf-8")

CTGOV = [f"NCT{n:08d}" for n in range(1, 15)]
ICTRP = [f"DRKS{n:08d}" for n in range(1, 7)]


def _page(trial_id: str) -> bytes:
    return PAGE.replace("EUCTR2017-001400-29-FR", trial_id).encode()


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def _run_measured(
    args: list[str], config: Path, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """The command in its own process: its result, seconds taken and peak memory (bytes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env |= {"PYTHONUTF8": "1", "WATCHER_CONFIG": str(config)}
    started = time.monotonic()
    with (tmp_path / "out").open("w+") as out, (tmp_path / "err").open("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "watcher", *args], stdout=out, stderr=err, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(args, process.returncode, out.read(), err.read())
    return result, time.monotonic() - started, usage.ru_maxrss * 1024


@pytest.mark.e2e
def test_five_hostile_answers_among_twenty_fail_alone_within_bounds(tmp_path: Path) -> None:
    small = load_study(SMALL_STUDY)
    state = RegistryState(
        studies={nct: study_as(small, nct) for nct in CTGOV},
        ictrp_pages={tid: _page(tid) for tid in ICTRP},
    )
    with RegistryServer(state) as server:
        config = write_config(
            tmp_path / "watcher.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}"
        )
        # A trial is reported failing after this many failed checks in a row (default 3).
        config.write_text(
            config.read_text().replace(
                "[database]", "[schedule]\nfailures_before_alert = 1\n\n[database]"
            )
        )
        added = run_watcher(["add", *CTGOV], config)
        assert added.returncode == 0, added.stderr
        added = run_watcher(["add", *ICTRP, "--source", "ictrp"], config)
        assert added.returncode == 0, added.stderr

        # Each of the fifteen others changes, so that each must be stored as a version.
        for nct in CTGOV:
            state.studies[nct]["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
        for tid in ICTRP:
            state.ictrp_pages[tid] = state.ictrp_pages[tid].replace(
                b"Target sample size: 10", b"Target sample size: 12"
            )
        deep = study_as(state.studies[CTGOV[6]], CTGOV[6])
        deep["protocolSection"]["conditionsModule"]["keywords"] = _nested(300)
        state.studies[CTGOV[6]] = json.dumps(deep).encode()  # orjson stops at 255 levels
        state.faults[CTGOV[2]] = Fault(mode="redirect_loop")
        del state.studies[CTGOV[10]]  # answered, alone, by another study's record
        state.faults[CTGOV[10]] = Fault(
            200, orjson.dumps(state.studies[CTGOV[11]]), "application/json"
        )
        state.faults[ICTRP[1]] = Fault(mode="bomb", size=1024**3, content_type="text/html")
        state.faults[ICTRP[4]] = Fault(mode="trickle", body=_page(ICTRP[4]), delay=2.0)

        result, seconds, peak = _run_measured(["check", "--json"], config, tmp_path)

    report = orjson.loads(result.stdout)
    failed = {f["trial_id"]: f["error"] for f in report["failed"]}
    hostile = {CTGOV[2], CTGOV[6], CTGOV[10], ICTRP[1], ICTRP[4]}
    assert set(failed) == hostile, (failed, result.stderr)
    assert "loop" in failed[CTGOV[2]]
    assert "deeper than" in failed[CTGOV[6]]
    assert f"another trial's record, {CTGOV[11]}" in failed[CTGOV[10]]
    assert "larger than 64MB" in failed[ICTRP[1]]
    assert "took longer than 1m" in failed[ICTRP[4]]
    assert set(report["changed"]) == set(CTGOV + ICTRP) - hostile
    assert report["checked"] == 20
    assert result.returncode != 0  # failures are said in the exit code too
    print(f"hostile check: {seconds:.1f} s, peak {peak / 1024**2:.0f} MB")
    assert seconds < 120, seconds
    assert peak < 600 * 1024**2, peak

    status = run_watcher(["status", "--json"], config)
    shown = orjson.loads(status.stdout)
    assert set(shown["failing"]) == hostile, shown


DOWNLOAD = (
    DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
).read_text("utf-8")
MASITINIB = "2021-002179-21"


def _versions(config: Path, trial_id: str) -> int:
    return len(orjson.loads(watcher_cli(config, "history", trial_id, "--json").output))


@pytest.mark.parametrize("mode", ["cut", "short"])
def test_an_ictrp_page_cut_at_70_percent_makes_no_version(mode: str, tmp_path: Path) -> None:
    tid = ICTRP[0]
    state = RegistryState(ictrp_pages={tid: _page(tid)})
    with RegistryServer(state) as server:
        config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
        watcher_cli(config, "add", tid, "--source", "ictrp")
        # "cut": no Content-Length and the connection closed: to HTTP the answer is whole.
        state.faults[tid] = Fault(mode=mode, body=_page(tid), cut=0.7, times=99)
        checked = orjson.loads(watcher_cli(config, "check", "--json", expect=1).output)
        assert checked["changed"] == []
        error = checked["failed"][0]["error"]
        assert ("cut short" if mode == "cut" else "stopped after") in error, error
        assert _versions(config, tid) == 1


@pytest.mark.parametrize("cut", [0.8, 0.95])
def test_an_euctr_download_cut_short_makes_no_version(cut: float, tmp_path: Path) -> None:
    state = RegistryState(euctr_download=DOWNLOAD)
    with RegistryServer(state) as server:
        config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
        watcher_cli(config, "add", f"EUCTR{MASITINIB}")
        members = [
            w["trial_id"] for w in orjson.loads(watcher_cli(config, "list", "--json").output)
        ]
        assert len([m for m in members if m.startswith(f"EUCTR{MASITINIB}-")]) == 6
        whole = euctr_download_of(DOWNLOAD, MASITINIB).encode()
        state.faults[f"euctr:{MASITINIB}"] = Fault(mode="cut", body=whole, cut=cut, times=99)
        checked = orjson.loads(watcher_cli(config, "check", "--json", expect=1).output)
        assert checked["changed"] == []
        assert all("cut short" in f["error"] for f in checked["failed"]), checked["failed"]
        assert {f["trial_id"] for f in checked["failed"]} == set(members)
        for member in members:
            if member != f"EUCTR{MASITINIB}":
                assert _versions(config, member) == 1


def _written(config: Path, out: Path, *args: str) -> str:
    watcher_cli(config, *args, "--out", str(out))
    return out.read_text(encoding="utf-8")


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_no_html_output_links_a_script_url_a_record_carries(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from watcher.config import load
    from watcher.service import Service
    from watcher.web.app import make_app
    from watcher.web.guard import protect

    tid = ICTRP[0]
    hostile = _page(tid).replace(
        b"https://www.clinicaltrialsregister.eu/ctr-search/search?query=eudract_number:",
        b"javascript:alert(document.cookie)//",
    )
    state = RegistryState(ictrp_pages={tid: _page(tid)})
    with RegistryServer(state) as server:
        config = write_config(tmp_path / "w.toml", server.url, f"sqlite:///{tmp_path / 'w.db'}")
        watcher_cli(config, "add", tid, "--source", "ictrp")
        state.ictrp_pages[tid] = hostile.replace(
            b"Target sample size: 10", b"Target sample size: 12"
        )
        watcher_cli(config, "check")
    assert orjson.loads(watcher_cli(config, "show", tid, "--json").output)["url"].startswith(
        "javascript:"
    )
    outputs = {
        "digest --out": _written(
            config, tmp_path / "digest.html", "digest", "--since", "2000-01-01"
        ),
        "report html": watcher_cli(config, "report", "--format", "html").output,
        "report of the trial": watcher_cli(
            config, "report", "--trial", tid, "--format", "html"
        ).output,
        "export html": watcher_cli(config, "export", tid, "--format", "html").output,
    }
    for name, html in outputs.items():  # files opened from disk carry their own policy
        assert "Content-Security-Policy" in html and "default-src 'none'" in html, name
    service = Service(load(str(config)))
    with service, TestClient(protect(make_app(service), None, "office", "s")) as http:
        outputs["web page"] = http.get(f"/trial/{tid}").text
        outputs["web diff"] = http.get(f"/trial/{tid}/diff").text
        outputs["feed"] = http.get("/feed.atom").text
    for name, html in outputs.items():
        assert "javascript" in html.lower() or name == "feed", name  # shown as text...
        assert 'href="javascript' not in html.lower(), name  # ...never a link
