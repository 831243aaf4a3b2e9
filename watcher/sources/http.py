"""HTTP to the registers: one client, a request budget per register, retries with backoff.

Every request to a register goes through ``Fetcher.get``, which spaces requests to stay within
the register's budget, retries what may succeed later (timeouts, connection errors, 429, 5xx),
honours ``Retry-After``, and turns every failure into a ``FetchError`` that names the register,
the trial and the URL.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from watcher import __version__
from watcher.clock import utcnow
from watcher.config import HttpSettings, format_duration
from watcher.errors import FetchError, RecordNotFound
from watcher.logs import redact
from watcher.sources.body import ACCEPT_ENCODING, Body, causes, decoded, human_size, reason
from watcher.sources.guard import POLL as guard_poll
from watcher.sources.guard import DeadlinePassed, Stopped, bounded
from watcher.sources.guard import transport as guarded_transport

log = logging.getLogger(__name__)

# A query's parameters: a mapping, or pairs where one name repeats (a register's search).
Params = Mapping[str, str] | httpx.QueryParams

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A register asking us to wait longer than this is treated as a failed check, not a stall.
MAX_RETRY_AFTER = 600.0
MAX_REDIRECTS = 5


def user_agent(contact: str) -> str:
    suffix = f"; +{contact}" if contact else ""
    return f"watcher/{__version__} (clinical-trial registry watcher{suffix})"


def make_client(
    settings: HttpSettings, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(
        transport=transport or guarded_transport(),
        timeout=settings.timeout.total_seconds(),
        headers={"User-Agent": user_agent(settings.contact), "Accept-Encoding": ACCEPT_ENCODING},
        # Followed by the Fetcher, which keeps them within the register's host.
        follow_redirects=False,
    )


@dataclass
class RateLimiter:
    """Spaces requests evenly: at most ``per_minute`` a minute, shared by every thread."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + 60.0 / self.per_minute
        if start > now:
            self.sleep(start - now)


def retry_after(response: httpx.Response, now: datetime) -> float | None:
    """Seconds the register asks us to wait, from ``Retry-After`` (seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class Fetcher:
    """GETs for one register, within its budget and with its retries."""

    client: httpx.Client
    source: str
    settings: HttpSettings
    limiter: RateLimiter | None = None
    sleep: Callable[[float], None] = time.sleep
    # The one clock (watcher.clock): what a Retry-After date is counted from.
    clock: Callable[[], datetime] = utcnow
    # Statuses beyond RETRY_STATUSES by which this register throttles (CTIS: 403).
    throttle_statuses: frozenset[int] = frozenset()
    # Set when watcher is shutting down: a request waiting on the register ends at once.
    stop: threading.Event | None = None

    def get(
        self,
        url: str,
        *,
        trial_id: str | None = None,
        params: Params | None = None,
        not_found_ok: bool = False,
        retries: int | None = None,
    ) -> httpx.Response:
        """The response to ``GET url``, read whole; a 404/410 raises ``RecordNotFound`` unless
        ``not_found_ok``, other failures raise ``FetchError`` once the retries (the
        configured number, or ``retries``) are spent."""
        return self._send(url, trial_id, params, not_found_ok, retries, stream=False)

    def post(self, url: str, body: bytes, *, retries: int | None = None) -> httpx.Response:
        """The response to ``POST url`` with a JSON ``body`` (a register whose search is a
        POST: CTIS), read whole, on the same terms as ``get``."""
        return self._send(url, None, None, False, retries, stream=False, content=body)

    @contextmanager
    def stream(
        self, url: str, *, params: Params | None = None, retries: int | None = None
    ) -> Iterator[Body]:
        """``GET url`` with its body left unread, to be read as a file (``Body``): an answer
        of hundreds of megabytes never sits whole in memory. The retries cover the request up
        to the headers; a body cut short raises ``AnswerCutShort`` from ``Body.read``. The
        reader calls ``Body.record_read`` after each record: the deadline and
        ``http.max_answer`` bound each record, ``http.max_page`` the whole answer."""
        with bounded(self.settings.deadline.total_seconds(), self.stop) as restart:
            response = self._send(url, None, params, False, retries, stream=True)
            try:
                yield Body(response, self, restart)
            finally:
                response.close()

    def _send(
        self,
        url: str,
        trial_id: str | None,
        params: Params | None,
        not_found_ok: bool,
        retries: int | None,
        *,
        stream: bool,
        content: bytes | None = None,
    ) -> httpx.Response:
        attempts = (self.settings.retries if retries is None else retries) + 1
        delay = self.settings.backoff.total_seconds()
        for attempt in range(1, attempts + 1):
            if self.limiter is not None:
                self.limiter.wait()
            wait: float | None = None
            try:
                with bounded(self.settings.deadline.total_seconds(), self.stop):
                    response = self._follow(url, params, trial_id, content)
                    if response.status_code < 400 or (
                        response.status_code in (404, 410) and not_found_ok
                    ):
                        return response if stream else self._read(response, trial_id)
            except httpx.TimeoutException:
                error = FetchError(
                    self.source, trial_id, f"timed out fetching {url}", unreachable=True
                )
            except httpx.TransportError as e:
                # A name that does not resolve will not resolve in the next seconds either:
                # fail now and let the next check try again.
                error = FetchError(
                    self.source,
                    trial_id,
                    f"cannot reach {_origin(url)} ({reason(e)})",
                    retryable=not _unresolvable(e),
                    unreachable=True,
                )
                if not error.retryable:
                    raise error from None
            except (DeadlinePassed, Stopped) as e:
                raise self.bounds_error(e, url, trial_id) from None
            else:
                response.close()
                if response.status_code in (404, 410) and trial_id is not None:
                    raise RecordNotFound(
                        self.source,
                        trial_id,
                        f"the register has no such record (HTTP {response.status_code} "
                        f"from {redact(response.url)})",
                    )
                retryable = response.status_code in RETRY_STATUSES | self.throttle_statuses
                error = FetchError(
                    self.source,
                    trial_id,
                    f"HTTP {response.status_code} from {redact(response.url)}",
                    retryable=retryable,
                    status=response.status_code,
                )
                wait = retry_after(response, self.clock())
                if not retryable:
                    raise error
            if attempt == attempts or not error.retryable:
                raise error
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise FetchError(
                    self.source,
                    trial_id,
                    f"{error.why}; the register asks to wait {wait:.0f} s",
                    status=error.status,
                )
            pause = max(delay, wait or 0.0)
            log.info(
                "%s: %s; try %d of %d in %.1f s",
                self.source,
                error.why,
                attempt + 1,
                attempts,
                pause,
            )
            self._pause(pause, url, trial_id)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(self, seconds: float, url: str, trial_id: str | None) -> None:
        """Wait before a retry (up to MAX_RETRY_AFTER), ending at once when watcher stops."""
        while seconds > 0:
            if self.stop is not None and self.stop.is_set():
                raise self.bounds_error(Stopped(), url, trial_id)
            step = min(seconds, guard_poll if self.stop is not None else seconds)
            self.sleep(step)
            seconds -= step

    def _follow(
        self,
        url: str,
        params: Params | None,
        trial_id: str | None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """The answer to ``GET url``, its body unread, after the redirects a register may
        give: within its own host only (another host's record is not this trial's), never in
        a loop, at most ``MAX_REDIRECTS``."""
        if content is None:
            request = self.client.build_request("GET", url, params=params)
        else:
            request = self.client.build_request(
                "POST", url, content=content, headers={"Content-Type": "application/json"}
            )
        host = request.url.host
        seen = {str(request.url)}
        history: list[httpx.Response] = []
        while True:
            response = self.client.send(request, stream=True, follow_redirects=False)
            following = response.next_request
            if following is None:
                response.history = history
                return response
            response.close()
            target = redact(following.url)
            if following.url.host != host or following.url.scheme not in ("http", "https"):
                why = f"{redact(request.url)} redirects to another host ({target}): not followed"
            elif str(following.url) in seen:
                why = f"{redact(request.url)} redirects in a loop (back to {target})"
            elif len(history) >= MAX_REDIRECTS:
                why = f"{url} redirects more than {MAX_REDIRECTS} times"
            else:
                seen.add(str(following.url))
                history.append(response)
                request = following
                if self.limiter is not None:
                    self.limiter.wait()
                continue
            raise FetchError(self.source, trial_id, why, retryable=False)

    def _read(self, response: httpx.Response, trial_id: str | None) -> httpx.Response:
        """The answer read whole, at most ``http.max_answer`` bytes once decompressed: a gzip
        bomb or an endless body fails its trial instead of filling the memory."""
        limit = self.settings.max_answer
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in decoded(response):
                size += len(chunk)
                if size > limit:
                    # The error outlives this frame (a trial's result, with its traceback):
                    # it must not hold the answer read so far.
                    del chunk
                    chunks.clear()
                    raise FetchError(
                        self.source,
                        trial_id,
                        f"the answer from {redact(response.url)} is larger than "
                        f"{human_size(limit)} (http.max_answer)",
                        retryable=False,
                    )
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise FetchError(
                self.source,
                trial_id,
                f"timed out reading the answer from {redact(response.url)}",
                unreachable=True,
            ) from None
        except httpx.DecodingError as e:
            raise FetchError(
                self.source,
                trial_id,
                f"the answer from {redact(response.url)} does not decompress ({reason(e)})",
                retryable=False,
            ) from None
        except httpx.TransportError as e:
            # Fewer bytes than its Content-Length, a chunked body cut off: a body cut short
            # is a failed check, never a record.
            raise FetchError(
                self.source,
                trial_id,
                f"the answer from {redact(response.url)} stopped after {size} bytes ({reason(e)})",
            ) from None
        finally:
            response.close()
        # Decoded already: the headers that described the encoded body go.
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=response.request,
            history=response.history,
        )

    def bounds_error(
        self, error: DeadlinePassed | Stopped, url: str, trial_id: str | None
    ) -> FetchError:
        """What a request ended by its deadline or by a stop is, said for the office (also
        for a streamed answer's ``Body``)."""
        if isinstance(error, Stopped):
            return FetchError(
                self.source, trial_id, f"stopped while fetching {url}", retryable=False
            )
        return FetchError(
            self.source,
            trial_id,
            f"the answer from {url} took longer than "
            f"{format_duration(self.settings.deadline)} (http.deadline)",
            retryable=False,
            unreachable=True,
        )


def _origin(url: str) -> str:
    u = httpx.URL(url)
    return f"{u.scheme}://{u.host}" + (f":{u.port}" if u.port else "")


def _unresolvable(error: httpx.TransportError) -> bool:
    return any(isinstance(c, socket.gaierror) for c in causes(error))
