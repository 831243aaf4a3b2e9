from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import settings_for
from watcher import __version__
from watcher.errors import FetchError, RecordNotFound
from watcher.sources.http import Fetcher, RateLimiter, make_client, retry_after, user_agent


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _fetcher(
    responses: list[httpx.Response | Exception], retries: int = 3, sleep: Sleeps | None = None
) -> tuple[Fetcher, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    settings = settings_for(
        "http://r.test", retries=retries, backoff="2s", contact="office@example.org"
    ).http
    client = make_client(settings, transport=httpx.MockTransport(handler))
    return Fetcher(client, "ctgov", settings, sleep=sleep if sleep is not None else Sleeps()), seen


def test_user_agent_names_watcher_its_version_and_the_contact() -> None:
    fetcher, seen = _fetcher([httpx.Response(200, text="ok")])
    fetcher.get("http://r.test/x")
    # What a register's operator reads in its logs, written out: who we are, which release,
    # and whom to write to instead of blocking us.
    assert seen[0].headers["User-Agent"] == (
        f"watcher/{__version__} (clinical-trial registry watcher; +office@example.org)"
    )
    assert user_agent("") == f"watcher/{__version__} (clinical-trial registry watcher)"


def test_5xx_and_timeouts_are_retried_with_doubling_backoff() -> None:
    sleeps = Sleeps()
    fetcher, seen = _fetcher(
        [
            httpx.Response(503),
            httpx.ReadTimeout("slow"),
            httpx.Response(502),
            httpx.Response(200, text="ok"),
        ],
        sleep=sleeps,
    )
    assert fetcher.get("http://r.test/x").text == "ok"
    assert len(seen) == 4
    assert sleeps == [2.0, 4.0, 8.0]


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    sleeps = Sleeps()
    fetcher, _ = _fetcher(
        [httpx.Response(429, headers={"Retry-After": "30"}), httpx.Response(200, text="ok")],
        sleep=sleeps,
    )
    fetcher.get("http://r.test/x")
    assert sleeps == [30.0]


def test_retry_after_as_an_http_date() -> None:
    response = httpx.Response(429, headers={"Retry-After": "Wed, 25 Nov 2026 10:00:30 GMT"})
    assert retry_after(response, now=datetime(2026, 11, 25, 10, 0, tzinfo=UTC)) == 30.0


def test_a_register_asking_to_wait_too_long_fails_the_check_instead_of_stalling() -> None:
    fetcher, seen = _fetcher([httpx.Response(429, headers={"Retry-After": "86400"})])
    with pytest.raises(FetchError, match=r"HTTP 429 .*asks to wait 86400 s"):
        fetcher.get("http://r.test/x", trial_id="NCT01234567")
    assert len(seen) == 1


def test_failures_after_the_last_retry_name_register_trial_and_url() -> None:
    fetcher, seen = _fetcher([httpx.Response(500)] * 2, retries=1)
    with pytest.raises(FetchError) as err:
        fetcher.get("http://r.test/api/x", trial_id="NCT01234567")
    assert str(err.value) == "ctgov 'NCT01234567': HTTP 500 from http://r.test/api/x"
    assert err.value.retryable
    assert len(seen) == 2


def test_404_is_record_not_found_and_not_retried() -> None:
    fetcher, seen = _fetcher([httpx.Response(404)])
    with pytest.raises(RecordNotFound):
        fetcher.get("http://r.test/x", trial_id="NCT01234567")
    assert len(seen) == 1


def test_other_client_errors_are_not_retried() -> None:
    fetcher, seen = _fetcher([httpx.Response(400)])
    with pytest.raises(FetchError, match="HTTP 400") as err:
        fetcher.get("http://r.test/x", trial_id="NCT01234567")
    assert not err.value.retryable
    assert len(seen) == 1


def test_rate_limiter_spaces_requests_to_the_budget() -> None:
    now = [100.0]
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(per_minute=60, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert sleeps == [1.0, 1.0, 1.0]
