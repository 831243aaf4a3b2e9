"""A check: fetch -> normalize -> hash -> (diff) -> store, for many trials at once.

One failing trial never stops the others: each failure is recorded against its trial with the
reason, and reported beside the changes (urlwatch's ``run_jobs``, reader's pipeline).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from watcher.clock import utcnow
from watcher.config import Settings
from watcher.core.decide import decide, needs_rehash, needs_reread, same_payload
from watcher.core.hashing import content_hash, payload_fingerprint
from watcher.core.headline import headline
from watcher.core.lenient import take_warnings
from watcher.core.model import CheckOutcome, Expanded, Fetched, Latest, Record, Watch
from watcher.errors import NormalizeError, RecordNotFound, WatcherError
from watcher.reread import reread
from watcher.sources import get as get_source
from watcher.sources.base import FetchResult, Source, parser_id
from watcher.sources.http import Fetcher, RateLimiter
from watcher.store import Store, Unchanged, retrying
from watcher.updates import UpdateLists

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[int], None]


class Checker:
    """Checks watched trials; keeps one request budget per source across calls."""

    def __init__(
        self,
        settings: Settings,
        repo: Store,
        client: httpx.Client,
        *,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.client = client
        self.clock = clock
        self.sleep = sleep
        self.monotonic = monotonic
        self._fetchers: dict[str, Fetcher] = {}
        # Failures in a row of each trial before this run: a success after them is news.
        self._before: dict[str, int] = {}
        self._sources: dict[str, Source] = {}
        # Unchanged checks not yet written: they are written together (see _flush).
        self._unchanged: list[Unchanged] = []
        # Set when the daemon stops: a request waiting on a register ends within a second.
        self._stop: threading.Event | None = None
        self.updates = UpdateLists()  # asked once a run (``updates.new_run()``)

    def _source(self, name: str) -> tuple[Source, Fetcher]:
        if name not in self._sources:
            source = get_source(name, self.settings)
            self._sources[name] = source
            http = self.settings.http
            if (largest := self.settings.sources[name].max_answer) is not None:
                http = replace(http, max_answer=largest)
            self._fetchers[name] = Fetcher(
                self.client,
                name,
                http,
                RateLimiter(source.requests_per_minute, clock=self.monotonic, sleep=self.sleep),
                sleep=self.sleep,
                clock=self.clock,
                throttle_statuses=source.throttle_statuses,
                stop=self._stop,
            )
        return self._sources[name], self._fetchers[name]

    def register(self, name: str) -> tuple[Source, Fetcher]:
        """A source's adapter and its fetcher, whose request budget every caller shares."""
        return self._source(name)

    def adapter(self, name: str) -> Source | None:
        """The adapter of a stored version's source; None when it is gone from the config."""
        try:
            return self._source(name)[0]
        except WatcherError:
            return None

    def check(
        self,
        watches: Sequence[Watch],
        *,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> list[CheckOutcome]:
        """Fetch and check every trial of ``watches``; one outcome each, in the order given.
        When ``stop`` is set the run ends between two trials: those not reached get no
        outcome (they stay due), never a failure. Those a register's list of updates vouches
        for are taken out before (``vouched``)."""
        self._before = {w.trial_id: w.consecutive_failures for w in watches}
        self._stop = stop
        for fetcher in self._fetchers.values():
            fetcher.stop = stop
        by_source: dict[str, list[str]] = defaultdict(list)
        for watch in watches:
            by_source[watch.source].append(watch.trial_id)
        outcomes: dict[str, CheckOutcome] = {}
        for name, trial_ids in by_source.items():
            try:
                source, fetcher = self._source(name)
            except WatcherError as e:
                for tid in trial_ids:
                    outcomes[tid] = self._failed(tid, str(e))
                continue
            requested = {w.trial_id: w for w in watches if w.source == name}
            allowed = set(requested)
            hashes = self.repo.latest_hashes(trial_ids)
            for tid, result in self._fetch(source, fetcher, trial_ids):
                if stop is not None and stop.is_set():
                    break
                if tid in outcomes:  # a register answering twice for one ID: keep the first
                    continue
                if isinstance(result, Expanded):
                    outcomes[tid] = self._expanded(result, requested[tid])
                    allowed |= {m for m in result.members if self.repo.watch(m).active}
                    continue
                if tid not in allowed:  # a member record the user stopped watching
                    continue
                # The batch's hashes were asked for together; a member record found through a
                # whole-trial watch was not among them.
                latest = (
                    hashes.get(tid) if tid in requested else self.repo.latest_hashes([tid]).get(tid)
                )
                outcomes[tid] = self._one(source, tid, result, latest)
                if progress is not None and tid in requested:
                    progress(1)
            self._flush()
            if stop is not None and stop.is_set():
                break
            for tid in trial_ids:
                if tid not in outcomes:
                    outcomes[tid] = self._failed(tid, f"{name}: no answer for this trial")
        # Member records found through a whole-trial watch come after the watches asked for.
        asked = {w.trial_id for w in watches}
        ordered = [outcomes[w.trial_id] for w in watches if w.trial_id in outcomes]
        ordered += [o for tid, o in outcomes.items() if tid not in asked]
        self._flush()
        return ordered

    def vouched(
        self,
        watches: Sequence[Watch],
        run_size: Mapping[str, int] | None = None,
        progress: Progress | None = None,
    ) -> tuple[list[CheckOutcome], list[Watch]]:
        """The trials of ``watches`` their register's list of updates leaves out, checked
        unchanged on its word (watcher/updates.py), and the others, for the caller to fetch
        (``check``), many pages of them together where it can (a request takes a page of
        studies). ``run_size``: how many trials of each source the whole run checks."""
        by_source: dict[str, list[Watch]] = defaultdict(list)
        for watch in watches:
            by_source[watch.source].append(watch)
        out: dict[str, CheckOutcome] = {}
        for name, group in by_source.items():
            out |= self._unlisted(name, group, (run_size or {}).get(name, 0))
        self._flush()
        if out and progress is not None:
            progress(len(out))
        told = [out[w.trial_id] for w in watches if w.trial_id in out]
        return told, [w for w in watches if w.trial_id not in out]

    def _unlisted(self, name: str, watches: list[Watch], run_size: int) -> dict[str, CheckOutcome]:
        try:
            source, fetcher = self._source(name)
        except WatcherError:
            return {}  # (each trial's check says why)
        now, full_sweep = self.clock(), self.settings.sources[name].full_sweep
        out = {}
        for tid, version in self.updates.vouched(
            self.repo, source, fetcher, watches, now, full_sweep, run_size
        ):
            self._unchanged.append(Unchanged(tid, now, fetched=False))
            out[tid] = CheckOutcome(tid, "unchanged", version)
        self._flush(at_least=500)
        return out

    def _flush(self, at_least: int = 1) -> None:
        """Write the unchanged checks held back, once there are ``at_least``. Most checks of
        a cycle find nothing new; one transaction each was most of a cycle's cost. A crash
        before the write loses only the news that nothing changed: those trials stay due."""
        if len(self._unchanged) >= at_least:
            self.repo.record_unchanged_many(self._unchanged)
            self._unchanged = []

    def _fetch(
        self, source: Source, fetcher: Fetcher, trial_ids: list[str]
    ) -> Iterator[FetchResult]:
        """The source's answers: the trials that failed last time alone, the others in
        batches, so that a record the register cannot serve does not fail a whole batch (and
        cost its halving) at every check."""
        if source.page_size == 1:
            # Fetched one by one anyway: together, so that the member states of one EUCTR
            # trial share its one download.
            yield from self._isolated(source, fetcher, trial_ids)
            return
        failing = [t for t in trial_ids if self._before.get(t)]
        healthy = [t for t in trial_ids if not self._before.get(t)]
        if healthy:
            yield from self._isolated(source, fetcher, healthy)
        for tid in failing:
            yield from self._isolated(source, fetcher, [tid])

    def _isolated(
        self, source: Source, fetcher: Fetcher, trial_ids: list[str]
    ) -> Iterator[FetchResult]:
        """``source.fetch``, whatever an answer does to it: should it break off (a bug meeting
        an answer nobody foresaw), the trials it had not answered are fetched again one at a
        time, and only the one that breaks it fails, with its ID and the reason."""
        answered: set[str] = set()
        try:
            for tid, result in source.fetch(fetcher, trial_ids):
                answered.add(tid)
                yield tid, result
            return
        except Exception as e:
            if len(trial_ids) == 1:
                log.exception("%s: reading the answer for %s failed", source.name, trial_ids[0])
                error = NormalizeError(
                    source.name,
                    trial_ids[0],
                    f"the answer could not be read ({type(e).__name__}: {str(e)[:200]})",
                )
                yield trial_ids[0], error
                return
            log.warning("%s: a batch broke off (%s); the rest one at a time", source.name, e)
        for tid in trial_ids:
            if tid not in answered and not (self._stop is not None and self._stop.is_set()):
                yield from self._isolated(source, fetcher, [tid])

    def _expanded(self, result: Expanded, family: Watch) -> CheckOutcome:
        """A whole-trial watch answered: each member record it stands for is watched too
        (with the whole trial's label and tags), and checked in this same run."""
        new = [
            Watch(member, family.registry, family.source, family.label, family.tags)
            for member in result.members
        ]
        added = self.repo.add_watches(new, self.clock(), reactivate=False)
        if added:
            log.info("%s: now watching its member records %s", result.trial_id, ", ".join(added))
        self.repo.record_unchanged(result.trial_id, self.clock())
        return CheckOutcome(result.trial_id, "unchanged", members=result.members)

    def _one(
        self,
        source: Source,
        trial_id: str,
        result: Fetched | WatcherError,
        latest: Latest | None,
    ) -> CheckOutcome:
        started = time.monotonic()
        try:
            if isinstance(result, WatcherError):
                raise result
            outcome = self._store(source, result, latest)
        except RecordNotFound as e:
            outcome = self._failed(trial_id, str(e), not_found=True)
        except WatcherError as e:
            outcome = self._failed(trial_id, str(e))
        except Exception as e:  # a bug must not stop the other trials; it is logged in full
            log.exception("%s: internal error while checking", trial_id)
            outcome = self._failed(trial_id, f"internal error: {type(e).__name__}: {e}")
        else:
            if before := self._before.get(trial_id, 0):
                outcome = replace(outcome, recovered_after=before)
        log.info(
            "%s %s %s in %.2f s%s",
            source.name,
            trial_id,
            outcome.kind,
            time.monotonic() - started,
            f": {outcome.error}" if outcome.error else "",
        )
        return outcome

    def _store(self, source: Source, fetched: Fetched, latest: Latest | None) -> CheckOutcome:
        """Carry out what ``watcher.core.decide`` decides for today's reading."""
        tid = fetched.trial_id
        parser = parser_id(source)
        fingerprint = payload_fingerprint(parser, fetched.payload)
        if latest is not None and same_payload(latest, fingerprint):
            return self._unchanged_check(fetched, latest.version, fingerprint)
        record = source.normalize(fetched)
        for warning in take_warnings(record):
            log.warning("%s (kept as text)", warning)
        digest = content_hash(record)
        if needs_reread(latest, parser):
            # Compare like with like: today's reading with the current parser's reading of
            # the stored payloads (see watcher/reread.py).
            reread(self.repo, self.adapter, tid, self.settings.diff)
            latest = self.repo.latest_hashes([tid]).get(tid)
        if latest is not None and needs_rehash(latest):
            # Hash the stored record again, once, so that upgrading the hash function makes
            # no version of every trial.
            rehashed = content_hash(self.repo.version(tid, latest.version).record)
            self.repo.rehash(tid, latest.version, rehashed)
            latest = latest._replace(content_hash=rehashed)

        def attempt(n: int) -> CheckOutcome:
            # After a conflict, against the version another process stored meanwhile.
            known = latest if n == 0 else self.repo.latest_hashes([tid]).get(tid)
            return self._carry_out(source, fetched, record, digest, fingerprint, known)

        return retrying(tid, attempt)

    def _carry_out(
        self,
        source: Source,
        fetched: Fetched,
        record: Record,
        digest: str,
        fingerprint: str,
        latest: Latest | None,
    ) -> CheckOutcome:
        tid = fetched.trial_id
        decision = decide(
            tid,
            latest,
            lambda: self.repo.version(tid, latest.version if latest else None).record,
            record,
            digest,
            source.name,
            self.settings.diff,
        )
        if not decision.stores:
            assert decision.version is not None
            return self._unchanged_check(fetched, decision.version, fingerprint)
        number = self.repo.add_version(
            tid,
            at=self.clock(),
            fetched=fetched,
            record=record,
            content_hash=digest,
            previous=latest.version if latest else 0,
            changes=len(decision.changes),
            payload_hash=fingerprint,
            parser=parser_id(source),
            headline=headline(decision.changes),
        )
        if decision.action == "restart":
            log.info(
                "%s: now read through %s: version %d starts its history there",
                tid,
                source.name,
                number,
            )
        return CheckOutcome(
            tid,
            decision.outcome,
            number,
            decision.changes,
            redirected_to=fetched.redirected_to,
            new_links=decision.new_links,
        )

    def _unchanged_check(self, fetched: Fetched, version: int, fingerprint: str) -> CheckOutcome:
        self._unchanged.append(
            Unchanged(fetched.trial_id, self.clock(), fetched.redirected_to, fingerprint)
        )
        self._flush(at_least=500)
        return CheckOutcome(
            fetched.trial_id, "unchanged", version, redirected_to=fetched.redirected_to
        )

    def _failed(self, trial_id: str, error: str, not_found: bool = False) -> CheckOutcome:
        failures = self.repo.record_failure(trial_id, self.clock(), error)
        return CheckOutcome(trial_id, "failed", error=error, failures=failures, not_found=not_found)
