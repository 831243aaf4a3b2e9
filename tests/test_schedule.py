"""The daemon's cycle on fake time: what is due, how checks spread, the heartbeat."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NCT, settings_for
from tests.registry_server import SMALL_STUDY, RegistryServer, RegistryState, load_study, study_as
from watcher.config import Settings
from watcher.core.model import CheckOutcome, Watch
from watcher.core.schedule import spread
from watcher.daemon import Daemon
from watcher.service import Service
from watcher.sources.http import make_client
from watcher.store.sql import SqlStore

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data"


class Recording(Service):
    """The service the daemon is given, handing each cycle's alert to ``on_outcomes``."""

    def __init__(self, *args: Any, on_outcomes: Callable[[list[CheckOutcome]], None], **kw: Any):
        super().__init__(*args, **kw)
        self.on_outcomes = on_outcomes

    def alert(self, outcomes: Sequence[CheckOutcome], searches: Sequence[Any] = ()) -> None:
        self.on_outcomes(list(outcomes))


def make_daemon(
    settings: Settings,
    repo: SqlStore,
    client: Any,
    *,
    clock: Callable[[], datetime],
    on_outcomes: Callable[[list[CheckOutcome]], None] = lambda _o: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Daemon:
    return Daemon(
        Recording(
            settings, store=repo, client=client, clock=clock, sleep=sleep, on_outcomes=on_outcomes
        )
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _daemon(repo: SqlStore, url: str, clock: Clock, **kwargs: Any) -> tuple[Daemon, Any]:
    settings = settings_for(url)
    client = make_client(settings.http)
    return make_daemon(settings, repo, client, clock=clock, **kwargs), client


def test_spread_is_stable_and_within_the_interval() -> None:
    day = timedelta(days=1)
    offsets = {spread(f"NCT{i:08d}", day) for i in range(200)}
    assert all(timedelta(0) <= o < day for o in offsets)
    assert len(offsets) > 150  # spread out, not bunched


def test_the_offsets_are_the_same_in_every_process_and_release() -> None:
    """A trial keeps its offset across restarts and on every daemon sharing a database: the
    offset is a function of the ID alone (never Python's per-process salted ``hash``). The
    figures are CRC-32's; a member state shares its whole trial's offset."""
    day = timedelta(days=1)
    expected = {
        NCT: 3810.24,
        "EUCTR2017-001400-29-FR": 74364.48,
        "EUCTR2017-001400-29-DE": 74364.48,
        "ISRCTN12345678": 82572.48,
    }
    assert {t: spread(t, day).total_seconds() for t in expected} == expected


@pytest.mark.e2e  # other interpreters, with other hash seeds
def test_the_offsets_are_the_same_in_another_process() -> None:
    code = (
        "from datetime import timedelta\nfrom watcher.core.schedule import spread\n"
        f"print(spread({NCT!r}, timedelta(days=1)).total_seconds())"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        assert float(out.stdout) == 3810.24  # as in this process (the test above)


def test_a_cycle_checks_what_is_due_and_schedules_the_next(repo: SqlStore) -> None:
    ids = [f"NCT{i:08d}" for i in range(1, 6)]
    state = RegistryState(studies={t: study_as(load_study(SMALL_STUDY), t) for t in ids})
    clock = Clock()
    with RegistryServer(state) as srv:
        repo.add_watches([Watch(t, "ctgov", "ctgov") for t in ids], T0)
        seen: list[list[str]] = []
        daemon, client = _daemon(
            repo, srv.url, clock, on_outcomes=lambda o: seen.append([x.trial_id for x in o])
        )
        with client:
            assert daemon.cycle().checked == 5  # never checked: all due at once
            assert {w.next_check_at for w in repo.watches()} == {T0 + timedelta(days=1)}
            clock.now = T0 + timedelta(hours=1)
            assert daemon.cycle().checked == 0  # nothing due
            clock.now = T0 + timedelta(days=1, minutes=1)
            assert daemon.cycle().checked == 5
        assert seen == [ids, ids]
        state_ = repo.daemon_state()
        assert state_ is not None and state_.cycles == 3
        assert state_.last_cycle_at == clock.now


FIVE = [f"NCT{i:08d}" for i in range(1, 6)]


@contextlib.contextmanager
def _five_trials(repo: SqlStore, **ctgov: Any) -> Iterator[Settings]:
    """Five CT.gov trials never checked, served locally; settings with ``ctgov`` for its
    source (a page size, a budget)."""
    state = RegistryState(studies={t: study_as(load_study(SMALL_STUDY), t) for t in FIVE})
    with RegistryServer(state) as srv:
        repo.add_watches([Watch(t, "ctgov", "ctgov") for t in FIVE], T0)
        settings = settings_for(srv.url)
        source = dataclasses.replace(settings.sources["ctgov"], **ctgov)
        yield dataclasses.replace(settings, sources={**settings.sources, "ctgov": source})


def test_a_cycle_claims_a_page_at_a_time_and_alerts_once(repo: SqlStore) -> None:
    claims: list[int] = []
    claim = repo.claim

    def recording_claim(*args: Any) -> list[Watch]:
        claimed = claim(*args)
        claims.append(len(claimed))
        return claimed

    repo.claim = recording_claim  # type: ignore[method-assign,assignment]
    seen: list[list[str]] = []
    with _five_trials(repo, page_size=2) as settings, make_client(settings.http) as client:
        daemon = make_daemon(
            settings,
            repo,
            client,
            clock=Clock(),
            on_outcomes=lambda o: seen.append([x.trial_id for x in o]),
        )
        assert daemon.cycle().checked == 5
    # A page per claim, so that daemons sharing the database split a cycle; the last claim
    # finds nothing due. The changes of the whole cycle make one alert.
    assert claims == [2, 2, 1, 0]
    assert seen == [FIVE]


def test_a_cycle_stops_claiming_a_register_whose_budget_is_spent(repo: SqlStore) -> None:
    # One request a minute, of two studies, in a one-minute tick: two trials a cycle.
    with (
        _five_trials(repo, page_size=2, requests_per_minute=1) as settings,
        make_client(settings.http) as client,
    ):
        # The budget's pauses are not waited for here.
        daemon = make_daemon(settings, repo, client, clock=Clock(), sleep=lambda _s: None)
        # The other registers' budgets are not spent: that must not let it claim more.
        assert daemon.cycle().checked == 2
        assert daemon.cycle().checked == 2
        assert daemon.cycle().checked == 1


def test_a_short_tick_still_takes_a_page_a_cycle(repo: SqlStore) -> None:
    # 50 requests a minute is less than one a second: still one page per one-second cycle.
    with _five_trials(repo, page_size=2, requests_per_minute=50) as settings:
        settings = dataclasses.replace(
            settings, schedule=dataclasses.replace(settings.schedule, tick=timedelta(seconds=1))
        )
        with make_client(settings.http) as client:
            daemon = make_daemon(settings, repo, client, clock=Clock(), sleep=lambda _s: None)
            assert daemon.service.cycle_budgets()[0]["ctgov"] == 2
            assert daemon.cycle().checked == 2


def test_a_cycle_ends_though_trials_fall_due_while_it_runs(repo: SqlStore) -> None:
    class Racing(Clock):
        """A day passes at every reading: each claim finds everything due again."""

        def __call__(self) -> datetime:
            self.now += timedelta(days=1)
            return self.now

    with _five_trials(repo, page_size=2) as settings, make_client(settings.http) as client:
        daemon = make_daemon(settings, repo, client, clock=Racing())
        assert daemon.cycle().checked == 5


def test_trials_added_with_a_baseline_take_their_place_in_the_spread(repo: SqlStore) -> None:
    state = RegistryState(studies={NCT: load_study()})
    clock = Clock()
    with RegistryServer(state) as srv:
        repo.add_watches([Watch(NCT, "ctgov", "ctgov")], T0)
        daemon, client = _daemon(repo, srv.url, clock)
        with client:
            daemon.service.baseline([NCT])  # as `watcher add` does
            assert daemon.cycle().checked == 0
        [watch] = repo.watches()
        assert watch.next_check_at == T0 + spread(NCT, timedelta(days=1))


def test_a_stop_between_two_trials_leaves_the_rest_due(repo: SqlStore) -> None:
    ids = [f"NCT{i:08d}" for i in range(1, 4)]
    state = RegistryState(studies={t: study_as(load_study(SMALL_STUDY), t) for t in ids})
    with RegistryServer(state) as srv:
        repo.add_watches([Watch(t, "ctgov", "ctgov") for t in ids], T0)
        clock = Clock()
        daemon, client = _daemon(repo, srv.url, clock)
        with client:

            def stop_after_first(_n: int) -> None:
                daemon.stopping.set()

            cycle = daemon.service.check_due(stop=daemon.stopping, progress=stop_after_first)
        assert [o.trial_id for o in cycle.outcomes] == ids[:1]
        assert [w.last_outcome for w in repo.watches()] == ["baseline", None, None]
        assert daemon.cycle().checked == 0  # a stopped daemon starts no new check


def test_a_digest_missed_while_down_is_sent_once_at_start(repo: SqlStore) -> None:
    clock = Clock()
    daemon, client = _daemon(repo, "http://127.0.0.1:9", clock)
    with client:
        assert not daemon.digest_overdue(clock.now)  # never ran: the first digest waits
        repo.heartbeat(T0 - timedelta(days=9), T0 - timedelta(days=10), 1, "host")
        assert daemon.digest_overdue(clock.now)  # a Monday 08:00 passed while it was down
        from watcher.core.model import Message

        repo.enqueue(
            Message(
                "digest",
                "<d@x>",
                ("a@x",),
                "s",
                "t",
                "h",
                T0 - timedelta(days=7),
                T0 + timedelta(minutes=1),
            ),
            T0,
        )
        assert not daemon.digest_overdue(clock.now)


def test_sd_notify_reaches_a_real_socket(tmp_path: Any, monkeypatch: Any) -> None:
    import socket

    from watcher.daemon.sdnotify import notify

    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert notify("READY=1") is True
        assert server.recv(64) == b"READY=1"
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert notify("READY=1") is False  # not under systemd: nothing to tell


def test_trials_added_and_removed_while_running_are_picked_up(repo: SqlStore) -> None:
    ids = [f"NCT{i:08d}" for i in range(1, 4)]
    state = RegistryState(studies={t: study_as(load_study(SMALL_STUDY), t) for t in ids})
    clock = Clock()
    with RegistryServer(state) as srv:
        repo.add_watches([Watch(ids[0], "ctgov", "ctgov")], T0)
        daemon, client = _daemon(repo, srv.url, clock)
        with client:
            assert daemon.cycle().checked == 1
            repo.add_watches([Watch(t, "ctgov", "ctgov") for t in ids[1:]], T0)  # the CLI
            repo.remove([ids[0]], T0)
            clock.now = T0 + timedelta(days=2)
            result = daemon.cycle()
        assert sorted(o.trial_id for o in result.outcomes) == ids[1:]


def test_a_failing_trial_is_alerted_once_and_once_more_when_it_recovers() -> None:
    from watcher.config import from_mapping
    from watcher.core.model import CheckOutcome
    from watcher.report.context import alert_context

    settings = from_mapping({"schedule": {"failures_before_alert": 2}}, env={})
    watch = {NCT: Watch(NCT, "ctgov", "ctgov", label="ACCIO")}

    def alert(outcome: CheckOutcome) -> Any:
        return alert_context([outcome], watch, settings, T0, lambda _w: None)

    error = "ctgov 'NCT04267848': the register has no such record (HTTP 404 from u)"
    assert alert(CheckOutcome(NCT, "failed", error=error, failures=1, not_found=True)) is None
    second = alert(CheckOutcome(NCT, "failed", error=error, failures=2, not_found=True))
    assert [p.trial_id for p in second.newly_failing] == [NCT]
    assert second.newly_failing[0].not_found
    assert alert(CheckOutcome(NCT, "failed", error=error, failures=3)) is None
    back = alert(CheckOutcome(NCT, "unchanged", version=1, recovered_after=3))
    assert [p.trial_id for p in back.recovered] == [NCT]
    from watcher.report.compose import subject

    assert subject(back) == "[watcher] 1 recovered"


def test_a_trial_on_its_own_interval_is_checked_on_it(repo: SqlStore) -> None:
    """`add --every 7d`: that trial is not checked again before 7 days, while the others are
    checked on the global interval (24h); a tag's interval applies as well."""
    ids = ["NCT00000001", "NCT00000002", "NCT00000003"]
    state = RegistryState(studies={t: study_as(load_study(SMALL_STUDY), t) for t in ids})
    clock = Clock()
    with RegistryServer(state) as srv:
        settings = settings_for(srv.url)
        settings = dataclasses.replace(
            settings,
            schedule=dataclasses.replace(settings.schedule, tags={"safety": timedelta(hours=6)}),
        )
        repo.add_watches(
            [
                Watch(ids[0], "ctgov", "ctgov", every=timedelta(days=7)),
                Watch(ids[1], "ctgov", "ctgov"),
                Watch(ids[2], "ctgov", "ctgov", tags=("safety",), every=timedelta(days=7)),
            ],
            T0,
        )
        with make_client(settings.http) as client:
            daemon = make_daemon(settings, repo, client, clock=clock)

            def checked_at(delta: timedelta) -> list[str]:
                clock.now = T0 + delta
                return sorted(o.trial_id for o in daemon.cycle().outcomes)

            assert checked_at(timedelta(0)) == ids  # never checked: all due
            assert checked_at(timedelta(hours=6, minutes=1)) == [ids[2]]  # the tag's 6h
            assert checked_at(timedelta(days=1, minutes=1)) == [ids[1], ids[2]]
            assert ids[0] not in checked_at(timedelta(days=6, hours=23))
            assert ids[0] in checked_at(timedelta(days=7, minutes=1))


def test_member_states_of_one_eudract_trial_share_one_download_a_cycle(repo: SqlStore) -> None:
    """Their checks fall due together (one spread per EudraCT number) and are fetched
    together, even when one of them failed last time: one download a cycle, not one each."""
    download = (
        DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
    ).read_text(encoding="utf-8")
    members = ["EUCTR2022-002568-62-ES", "EUCTR2022-002568-62-SE"]
    assert spread(members[0], timedelta(days=1)) == spread(members[1], timedelta(days=1))
    clock = Clock()
    with RegistryServer(RegistryState(euctr_download=download)) as srv:
        settings = settings_for(srv.url)
        repo.add_watches([Watch(m, "euctr", "euctr") for m in members], T0)
        with make_client(settings.http) as client:
            daemon = make_daemon(settings, repo, client, clock=clock)
            assert daemon.cycle().checked == 2
            assert srv.state.requests["/ctr-search/rest/download"] == 1
            # One of them failed since (a batch register would fetch it alone next time).
            repo.record_failure(members[1], T0 + timedelta(hours=1), "the last check failed")
            clock.now = T0 + timedelta(days=2)
            assert daemon.cycle().checked == 2
            assert srv.state.requests["/ctr-search/rest/download"] == 2
