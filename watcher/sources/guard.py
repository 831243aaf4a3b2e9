"""Bounds on one answer that httpx cannot set: a deadline for the whole answer and a stop.

httpx's timeouts are per socket operation: a register sending one byte every two seconds
never trips a 30 s timeout, and a check waiting on it could not be stopped by SIGTERM. The
transport here gives each socket read and write the time left before the answer's deadline,
in slices of half a second, so that a deadline passed or a stop asked for ends the request
within half a second whatever the register does (headers trickling in included).

The bounds are those of the current thread (``bounded``): the Fetcher sets them around each
request and around the reading of a streamed answer.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpcore
import httpx

# The longest a socket operation waits before the deadline and the stop are looked at again.
POLL = 0.5

T = TypeVar("T")


class DeadlinePassed(Exception):
    """The answer took longer than its deadline (raised from inside the transport)."""


class Stopped(Exception):
    """The check was asked to stop (SIGTERM) while waiting on a register."""


class _Bounds(threading.local):
    until: float | None = None
    stop: threading.Event | None = None


_BOUNDS = _Bounds()


@contextmanager
def bounded(seconds: float, stop: threading.Event | None = None) -> Iterator[Callable[[], None]]:
    """Within the block, this thread's requests end at ``seconds`` from now (or when ``stop``
    is set). Yields a function that starts the deadline again (a streamed page: per record)."""
    outer = (_BOUNDS.until, _BOUNDS.stop)

    def restart() -> None:
        _BOUNDS.until = time.monotonic() + seconds

    restart()
    _BOUNDS.stop = stop
    try:
        yield restart
    finally:
        _BOUNDS.until, _BOUNDS.stop = outer


def _left() -> float | None:
    """Seconds left before the deadline (None: no deadline); raises once it has passed."""
    if _BOUNDS.stop is not None and _BOUNDS.stop.is_set():
        raise Stopped()
    if _BOUNDS.until is None:
        return None
    left = _BOUNDS.until - time.monotonic()
    if left <= 0:
        raise DeadlinePassed()
    return left


def _within(timeout: float | None) -> float | None:
    left = _left()
    if left is None:
        return timeout
    return left if timeout is None else min(timeout, left)


def _waiting(operation: Callable[[float | None], T], timeout: float | None) -> T:
    """``operation`` with its own timeout kept, tried in slices so that the deadline and the
    stop are seen within ``POLL`` seconds. Only for operations that do nothing when they time
    out (a read), never for a write (part of it may have been sent)."""
    waited = 0.0
    while True:
        left = _left()
        if left is None and _BOUNDS.stop is None:
            return operation(timeout)
        step = min(POLL, left if left is not None else POLL)
        if timeout is not None:
            step = min(step, timeout - waited)
        try:
            return operation(step)
        except httpcore.ReadTimeout:
            waited += step
            if timeout is not None and waited >= timeout:
                raise


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _waiting(lambda t: self._inner.read(max_bytes, t), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _within(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _within(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _within(timeout), local_address, socket_options
        )
        return _Stream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _within(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def transport() -> httpx.HTTPTransport:
    """httpx's own transport, its connection pool given the bounded network backend.

    httpx does not let a caller choose the backend; ``_pool`` is the one private name used,
    and tests/test_guard.py fails if a release of httpx stops using it."""
    # One TLS context for both (loading the system's certificates is a tenth of a check's
    # start-up): the transport's own pool is replaced at once.
    context = httpx.create_ssl_context()
    bounded_transport = httpx.HTTPTransport(verify=context)
    bounded_transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_Backend(),
    )
    return bounded_transport
