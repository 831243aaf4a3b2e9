"""A register's answer read a little at a time, within its bounds: a streamed page of
many records (CT.gov) and what messages about answers say of them."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx

from watcher.errors import AnswerCutShort, FetchError
from watcher.logs import redact
from watcher.sources.base import MAX_NESTING
from watcher.sources.guard import DeadlinePassed, Stopped
from watcher.sources.nesting import Nesting

if TYPE_CHECKING:
    from watcher.sources.http import Fetcher


# A page's records sit two levels down ({"studies": [...]}).
PAGE_NESTING = MAX_NESTING + 2


class Body:
    """A streamed response body, read as a file by an incremental parser (``read(n)``).

    It keeps the body's first and last chunks (``edges``), where a page's own keys sit around
    its list of records, and counts the bytes read. A transport failure or timeout while
    reading is ``AnswerCutShort``, naming the URL: the records already read are whole. An
    answer past its bounds (size, deadline) is a ``FetchError``.
    """

    CHUNK = 64 * 1024

    def __init__(
        self, response: httpx.Response, fetcher: Fetcher, restart: Callable[[], None]
    ) -> None:
        self.response = response
        self.fetcher = fetcher
        self.source = fetcher.source
        self.bytes_read = 0
        self._record_start = 0
        self._restart = restart
        self._chunks = decoded(response, self.CHUNK)
        self._head = b""
        self._tail: list[bytes] = []
        self._nesting = Nesting()

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

    def record_read(self) -> None:
        """One record of the answer is whole: the next one has its own deadline and size."""
        self._record_start = self.bytes_read
        self._restart()

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # parsers probe with read(0) to learn bytes from text
            return b""
        try:
            chunk = next(self._chunks, b"")
        except httpx.TimeoutException:
            raise AnswerCutShort(
                self.source, f"timed out reading the answer from {self.url}"
            ) from None
        except (httpx.TransportError, httpx.DecodingError) as e:
            raise AnswerCutShort(
                self.source,
                f"the answer from {self.url} stopped after {self.bytes_read} bytes ({reason(e)})",
            ) from None
        except (DeadlinePassed, Stopped) as e:
            raise self.fetcher.bounds_error(e, self.url, None) from None
        if chunk:
            if not self.bytes_read:
                self._head = chunk
            self._tail = [*self._tail[-1:], chunk]
            self.bytes_read += len(chunk)
            self._bound()
            if self._nesting.feed(chunk) > PAGE_NESTING:
                raise FetchError(
                    self.source,
                    None,
                    f"the answer from {self.url} nests deeper than {MAX_NESTING} levels",
                    retryable=False,
                )
        return chunk

    def _bound(self) -> None:
        settings = self.fetcher.settings
        if self.bytes_read - self._record_start > settings.max_answer:
            why = f"a record of the answer from {self.url} is larger than "
            limit = settings.max_answer
            key = "http.max_answer"
        elif self.bytes_read > settings.max_page:
            why = f"the answer from {self.url} is larger than "
            limit = settings.max_page
            key = "http.max_page"
        else:
            return
        raise FetchError(self.source, None, f"{why}{human_size(limit)} ({key})", retryable=False)


# What watcher accepts, and decodes itself a bounded piece at a time (``decoded``).
ACCEPT_ENCODING = "gzip, deflate"


def decoded(response: httpx.Response, most: int = 1024 * 1024) -> Iterator[bytes]:
    """The body decompressed ``most`` bytes at a time at most. httpx inflates each network
    read whole: 64 KB of a gzip bomb is 67 MB at once; here it is never more than ``most``,
    so that the size bounds stop a bomb within a megabyte of their limit."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if response.is_stream_consumed:  # held in memory already (an answer made in a test)
        yield from response.iter_bytes(most)
        return
    if encoding in ("", "identity"):
        yield from response.iter_raw(most)
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from response.iter_bytes(most)  # br, zstd: asked for by nobody, read by httpx
        return
    # gzip, or deflate with its zlib header; deflate without it is tried if that fails.
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)
    first = True
    compressed = 0
    for raw in response.iter_raw():
        compressed += len(raw)
        data = raw
        while data:
            try:
                out = inflate.decompress(data, most)
            except zlib.error as e:
                if not (first and encoding == "deflate"):
                    raise httpx.DecodingError(
                        f"{encoding} body does not decompress ({e})"
                    ) from None
                inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                first = False
                continue
            first = False
            if out:
                yield out
            data = inflate.unconsumed_tail
    if compressed and not inflate.eof:
        # A compressed body that stops before its own end was cut short: with no
        # Content-Length (the connection just closed) nothing else would say so.
        raise httpx.DecodingError(f"{encoding} body ends before its end: cut short")


def content_type(response: httpx.Response) -> str:
    """The media type an answer says it is, for messages ("text/html")."""
    return response.headers.get("Content-Type", "").split(";")[0] or "no content type"


def causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__ or cause.__context__


def reason(error: httpx.RequestError) -> str:
    # httpx wraps the OS error; its innermost message ("Name or service not known",
    # "Connection refused") is the one a person can act on.
    *_, cause = causes(error)
    text = str(cause) or type(cause).__name__
    return text.split("] ", 1)[-1]


def human_size(size: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:g}{unit}"
    return f"{size} bytes"
