"""What every part of the service shares: the settings, the clock, and the database and HTTP
client it opens on first use and owns."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self

from watcher.clock import utcnow
from watcher.config import Settings

if TYPE_CHECKING:
    import httpx

    from watcher.pipeline import Checker
    from watcher.store import Store

Progress = Callable[[int], None]


class ServiceBase:
    """The settings, the one clock, and the database, HTTP client and check pipeline, each
    opened when an operation first needs it. The database is the service's own: the CLI, the
    daemon and the web view ask the service, never the store."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        # How the request budgets wait; the tests' fake time does not.
        self.sleep = sleep
        self.__store = store
        self._client = client
        self._checker: Checker | None = None
        self._owned: list[Callable[[], None]] = []

    @property
    def _store(self) -> Store:
        """The database, opened (and its schema brought up to date) on first use."""
        if self.__store is None:
            from watcher.store import open_store

            self.__store = open_store(self.settings.database.url)
            self._owned.append(self.__store.close)
        return self.__store

    @property
    def _http(self) -> httpx.Client:
        if self._client is None:
            from watcher.sources.http import make_client

            self._client = make_client(self.settings.http)
            self._owned.append(self._client.close)
        return self._client

    def _checks(self) -> Checker:
        """The check pipeline; one per service, so that request budgets hold across calls."""
        if self._checker is None:
            from watcher.pipeline import Checker

            self._checker = Checker(
                self.settings, self._store, self._http, clock=self.clock, sleep=self.sleep
            )
        return self._checker

    def open(self) -> None:
        """Open the database now (and bring its schema up to date), not at the first request:
        a server or daemon that cannot use its database says so when it starts."""
        self._store  # noqa: B018 - opening is the point

    def upgrade_database(self) -> str:
        """Apply the schema migrations; the database's URL, without its password."""
        from watcher.store.migrate import upgrade_url

        return upgrade_url(self.settings.database.url)

    def close(self) -> None:
        """Let go of what this service opened (not what it was given)."""
        for close in reversed(self._owned):
            close()
        self._owned.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
