"""Every answer bounded, on the real local server: the deadline of a trickling answer, a stop
asked for mid-request, the size of a bomb, redirects kept within the register's host, a body
shorter than it says."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tests.registry_server import Fault, RegistryServer, RegistryState
from watcher.config import HttpSettings
from watcher.errors import FetchError
from watcher.sources.http import Fetcher, make_client
from watcher.store.sql import SqlStore

SETTINGS = HttpSettings(
    timeout=timedelta(seconds=5),
    retries=2,
    backoff=timedelta(seconds=30),
    contact="",
    deadline=timedelta(seconds=2),
    max_answer=1024 * 1024,
)
PAGE = b"<html><body>" + b"x" * 200 + b"</body></html>"


@pytest.fixture
def server() -> Iterator[RegistryServer]:
    with RegistryServer(RegistryState(ictrp_pages={"T1": PAGE})) as running:
        yield running


_MADE: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """The clients a test made (``_fetcher``), closed after it."""
    yield
    while _MADE:
        _MADE.pop().close()


def _fetcher(stop: threading.Event | None = None) -> Fetcher:
    client = make_client(SETTINGS)
    _MADE.append(client)
    return Fetcher(client, "ictrp", SETTINGS, stop=stop)


def _get(server: RegistryServer, fetcher: Fetcher) -> httpx.Response:
    return fetcher.get(f"{server.url}/Trial2.aspx", trial_id="T1", params={"TrialID": "T1"})


def test_the_private_pool_httpx_is_given_is_still_where_it_was() -> None:
    from watcher.sources import guard

    transport = guard.transport()
    assert type(transport._pool).__name__ == "ConnectionPool"
    assert isinstance(transport._pool._network_backend, guard._Backend)


def test_a_trickling_answer_ends_at_its_deadline_not_at_a_read_timeout(
    server: RegistryServer,
) -> None:
    server.state.faults["T1"] = Fault(mode="trickle", body=PAGE, delay=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"took longer than 2s \(http.deadline\)"):
        _get(server, _fetcher())
    # Each byte came well within the 5 s timeout; the whole answer would take 45 s.
    assert time.monotonic() - started < 15


def test_a_stop_ends_a_request_in_flight_within_a_second(server: RegistryServer) -> None:
    server.state.faults["T1"] = Fault(status=200, body=PAGE, delay=30)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    with pytest.raises(FetchError, match="stopped while fetching"):
        _get(server, _fetcher(stop))
    assert time.monotonic() - started < 10  # the answer would come after 30 s


def test_a_stop_ends_the_wait_before_a_retry(server: RegistryServer) -> None:
    server.state.faults["T1"] = Fault(status=503, times=5)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    with pytest.raises(FetchError, match="stopped"):
        _get(server, _fetcher(stop))  # the backoff is 30 s
    assert time.monotonic() - started < 10


def test_a_gzip_bomb_is_refused_past_the_size_once_decompressed(server: RegistryServer) -> None:
    server.state.faults["T1"] = Fault(mode="bomb", size=256 * 1024**2, content_type="text/html")
    with pytest.raises(FetchError, match=r"larger than 1MB \(http.max_answer\)"):
        _get(server, _fetcher())


def test_an_endless_answer_is_refused_past_the_size(server: RegistryServer) -> None:
    server.state.faults["T1"] = Fault(mode="endless")
    with pytest.raises(FetchError, match="larger than 1MB"):
        _get(server, _fetcher())


@pytest.mark.parametrize(
    ("mode", "said"),
    [("redirect_loop", "redirects in a loop"), ("redirect_away", "to another host")],
)
def test_redirects_stay_on_the_register_and_never_loop(
    server: RegistryServer, mode: str, said: str
) -> None:
    server.state.faults["T1"] = Fault(mode=mode, times=99)
    with pytest.raises(FetchError, match=said) as raised:
        _get(server, _fetcher())
    assert not raised.value.retryable
    assert server.state.requests["/Trial2.aspx"] <= 2  # neither retried nor followed on


def test_a_body_shorter_than_its_content_length_is_a_failed_fetch(
    server: RegistryServer,
) -> None:
    server.state.faults["T1"] = Fault(mode="short", body=PAGE, cut=0.5, times=99)
    with pytest.raises(FetchError, match="stopped after"):
        _get(server, _fetcher())


@pytest.mark.parametrize(("encoding", "wbits"), [("gzip", 31), ("deflate", 15), ("deflate", -15)])
def test_a_body_is_inflated_a_bounded_piece_at_a_time(encoding: str, wbits: int) -> None:
    import zlib

    from watcher.sources.body import decoded

    data = b"trial " * 1_000_000
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    body = packer.compress(data) + packer.flush()
    response = httpx.Response(
        200, headers={"content-encoding": encoding}, stream=httpx.ByteStream(body)
    )
    pieces = list(decoded(response, 64 * 1024))
    assert b"".join(pieces) == data
    assert max(map(len, pieces)) <= 64 * 1024  # httpx alone gives it whole


def test_a_body_that_does_not_inflate_is_a_failed_fetch(server: RegistryServer) -> None:
    server.state.faults["T1"] = Fault(
        200, b"not gzip at all", "text/html", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchError, match="does not decompress"):
        _get(server, _fetcher())


def test_a_register_may_have_its_own_largest_answer(repo: SqlStore) -> None:
    from watcher.config import from_mapping
    from watcher.pipeline import Checker

    fast = {"base_url": "http://127.0.0.1:9", "requests_per_minute": 6000}
    settings = from_mapping(
        {"sources": {"ictrp": {**fast, "max_answer": "1KB"}, "ctgov": fast}}, "t", env={}
    )
    with make_client(settings.http) as client:
        checker = Checker(settings, repo, client)
        assert checker._source("ictrp")[1].settings.max_answer == 1024
        assert checker._source("ctgov")[1].settings.max_answer == 64 * 1024**2


def test_a_gzip_body_cut_short_without_a_content_length_is_a_failed_fetch(
    server: RegistryServer,
) -> None:
    import gzip

    whole = gzip.compress(PAGE * 50)
    server.state.faults["T1"] = Fault(
        mode="cut", body=whole, cut=0.6, headers={"Content-Encoding": "gzip"}, times=99
    )
    with pytest.raises(FetchError, match="ends before its end: cut short"):
        _get(server, _fetcher())
