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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from watcher import __version__
from watcher.clock import utcnow
from watcher.config import HttpSettings
from watcher.errors import AnswerCutShort, FetchError, RecordNotFound
from watcher.logs import redact

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A register asking us to wait longer than this is treated as a failed check, not a stall.
MAX_RETRY_AFTER = 600.0


def user_agent(contact: str) -> str:
    suffix = f"; +{contact}" if contact else ""
    return f"watcher/{__version__} (clinical-trial registry watcher{suffix})"


def make_client(
    settings: HttpSettings, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(
        transport=transport,
        timeout=settings.timeout.total_seconds(),
        headers={"User-Agent": user_agent(settings.contact)},
        follow_redirects=True,
        max_redirects=5,
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

    def get(
        self,
        url: str,
        *,
        trial_id: str | None = None,
        params: dict[str, str] | None = None,
        not_found_ok: bool = False,
        retries: int | None = None,
    ) -> httpx.Response:
        """The response to ``GET url``, read whole; a 404/410 raises ``RecordNotFound`` unless
        ``not_found_ok``, other failures raise ``FetchError`` once the retries (the
        configured number, or ``retries``) are spent."""
        return self._send(url, trial_id, params, not_found_ok, retries, stream=False)

    @contextmanager
    def stream(
        self, url: str, *, params: dict[str, str] | None = None, retries: int | None = None
    ) -> Iterator[Body]:
        """``GET url`` with its body left unread, to be read as a file (``Body``): an answer
        of hundreds of megabytes never sits whole in memory. The retries cover the request up
        to the headers; a body cut short raises ``AnswerCutShort`` from ``Body.read``."""
        response = self._send(url, None, params, False, retries, stream=True)
        try:
            yield Body(response, self.source)
        finally:
            response.close()

    def _send(
        self,
        url: str,
        trial_id: str | None,
        params: dict[str, str] | None,
        not_found_ok: bool,
        retries: int | None,
        *,
        stream: bool,
    ) -> httpx.Response:
        attempts = (self.settings.retries if retries is None else retries) + 1
        delay = self.settings.backoff.total_seconds()
        for attempt in range(1, attempts + 1):
            if self.limiter is not None:
                self.limiter.wait()
            wait: float | None = None
            try:
                request = self.client.build_request("GET", url, params=params)
                response = self.client.send(request, stream=stream)
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
                    f"cannot reach {_origin(url)} ({_reason(e)})",
                    retryable=not _unresolvable(e),
                    unreachable=True,
                )
                if not error.retryable:
                    raise error from None
            else:
                if response.status_code < 400:
                    return response
                if response.status_code in (404, 410) and not_found_ok:
                    return response
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
            if attempt == attempts:
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
            self.sleep(pause)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


class Body:
    """A streamed response body, read as a file by an incremental parser (``read(n)``).

    It keeps the body's first and last chunks (``edges``), where a page's own keys sit around
    its list of records, and counts the bytes read. A transport failure or timeout while
    reading is ``AnswerCutShort``, naming the URL: the records already read are whole.
    """

    CHUNK = 64 * 1024

    def __init__(self, response: httpx.Response, source: str) -> None:
        self.response = response
        self.source = source
        self.bytes_read = 0
        self._chunks = response.iter_bytes(self.CHUNK)
        self._head = b""
        self._tail: list[bytes] = []

    @property
    def url(self) -> str:
        return redact(self.response.url)

    @property
    def content_type(self) -> str:
        return content_type(self.response)

    @property
    def edges(self) -> bytes:
        """The first chunk and the last two, joined by a newline (never inside a token)."""
        return self._head + b"\n" + b"".join(self._tail)

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # parsers probe with read(0) to learn bytes from text
            return b""
        try:
            chunk = next(self._chunks, b"")
        except httpx.TimeoutException:
            raise AnswerCutShort(
                self.source, f"timed out reading the answer from {self.url}"
            ) from None
        except httpx.TransportError as e:
            raise AnswerCutShort(
                self.source,
                f"the answer from {self.url} stopped after {self.bytes_read} bytes ({_reason(e)})",
            ) from None
        if chunk:
            if not self.bytes_read:
                self._head = chunk
            self._tail = [*self._tail[-1:], chunk]
            self.bytes_read += len(chunk)
        return chunk


def content_type(response: httpx.Response) -> str:
    """The media type an answer says it is, for messages ("text/html")."""
    return response.headers.get("Content-Type", "").split(";")[0] or "no content type"


def _origin(url: str) -> str:
    u = httpx.URL(url)
    return f"{u.scheme}://{u.host}" + (f":{u.port}" if u.port else "")


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__ or cause.__context__


def _unresolvable(error: httpx.TransportError) -> bool:
    return any(isinstance(c, socket.gaierror) for c in _causes(error))


def _reason(error: httpx.TransportError) -> str:
    # httpx wraps the OS error; its innermost message ("Name or service not known",
    # "Connection refused") is the one a person can act on.
    *_, cause = _causes(error)
    text = str(cause) or type(cause).__name__
    return text.split("] ", 1)[-1]
