"""The application: every operation of watcher, for the CLI, the daemon and the web view.

Read ``Service`` to learn what watcher can do. It takes and returns model types and never
prints or exits; the CLI turns its results into lines and exit codes. It opens the database
and the HTTP client only when an operation first needs them, so `parse` and `compare` touch
neither. Expected failures are ``WatcherError``s (see ``watcher.errors``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from watcher.clock import midnight, utcnow
from watcher.config import Settings
from watcher.core.ids import TrialId, parse_trial_id
from watcher.core.model import CheckOutcome, CheckRun, Version, Watch
from watcher.errors import ConfigError, WatcherError
from watcher.results import Added, CheckResult, Comparison, DiffResult, Parsed, Status
from watcher.sources import get as get_source
from watcher.sources import source_for

if TYPE_CHECKING:
    import httpx

    from watcher.notify.outbox import Delivery
    from watcher.pipeline import Checker
    from watcher.registrations import Linked
    from watcher.report.context import ReportContext
    from watcher.reread import Rereading
    from watcher.store import Store

Progress = Callable[[int], None]


class Service:
    """watcher's operations on one configuration."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._store = store
        self._client = client
        self._checker: Checker | None = None
        self._owned: list[Callable[[], None]] = []

    @property
    def store(self) -> Store:
        """The database, opened (and its schema brought up to date) on first use."""
        if self._store is None:
            from watcher.store import open_store

            self._store = open_store(self.settings.database.url)
            self._owned.append(self._store.close)
        return self._store

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            from watcher.sources.http import make_client

            self._client = make_client(self.settings.http)
            self._owned.append(self._client.close)
        return self._client

    def checker(self) -> Checker:
        """The check pipeline; one per service, so that request budgets hold across calls."""
        if self._checker is None:
            from watcher.pipeline import Checker

            self._checker = Checker(self.settings, self.store, self.client, clock=self.clock)
        return self._checker

    def close(self) -> None:
        """Let go of what this service opened (not what it was given)."""
        for close in reversed(self._owned):
            close()
        self._owned.clear()

    # -- the watch list --------------------------------------------------------------------

    def _watches_for(
        self,
        ids: Sequence[TrialId],
        source: str | None,
        label: str | None,
        tags: Sequence[str],
        every: timedelta | None = None,
    ) -> list[Watch]:
        return [
            Watch(
                tid.value,
                tid.registry,
                source_for(tid.value, tid.registry, source, self.settings).name,
                label,
                tuple(tags),
                every=every,
            )
            for tid in ids
        ]

    def add(
        self,
        ids: Sequence[str],
        *,
        source: str | None = None,
        label: str | None = None,
        tags: Sequence[str] = (),
        every: timedelta | None = None,
    ) -> Added:
        """Watch trials (``every``: on an interval of their own); every ID is checked before
        any is stored."""
        watches = self._watches_for([parse_trial_id(t) for t in ids], source, label, tags, every)
        added = self.store.add_watches(watches, self.clock())
        return Added(tuple(watches), tuple(added))

    def import_file(
        self, path: str, *, source: str | None = None, tags: Sequence[str] = ()
    ) -> Added:
        """Watch every trial ID of a text list, CSV/TSV or ICTRP XML export (all or nothing)."""
        from watcher.importing import read_trial_ids

        watches = self._watches_for(read_trial_ids(path), source, None, tags)
        return Added(tuple(watches), tuple(self.store.add_watches(watches, self.clock())))

    def remove(self, ids: Sequence[str]) -> list[str]:
        """Stop watching trials (all or nothing); their history is kept."""
        trial_ids = [parse_trial_id(text).value for text in ids]
        self.store.remove(trial_ids, self.clock())
        return trial_ids

    def watches(self, tag: str | None = None) -> list[Watch]:
        """The watched trials, with titles, linked registrations and unreviewed counts."""
        from watcher.registrations import with_record_facts

        return with_record_facts(self.store, self.store.watches(tag=tag))

    def add_linked(self, trial_ids: Sequence[str]) -> Added:
        """Watch the registrations these trials' records name that nobody watches yet."""
        from watcher.registrations import unwatched_links

        wanted = unwatched_links(self.watches(), trial_ids)
        return self.add(wanted) if wanted else Added((), ())

    def watches_page(
        self, page: int, size: int, tag: str | None = None, source: str | None = None
    ) -> tuple[list[Watch], int]:
        """Page ``page`` (from 1) of the watched trials, the last changed first; and how many."""
        from watcher.registrations import with_record_facts

        found, total = self.store.watches_page((page - 1) * size, size, tag=tag, source=source)
        return with_record_facts(self.store, found, count_unreviewed=False), total

    def linked(self, trial_id: str, links: Sequence[str]) -> list[Linked]:
        """The other registrations of a trial, and whether each is watched."""
        from watcher.registrations import linked

        known = self.store.watched_links().items()  # (not all watches: a page needs this fast)
        return linked(trial_id, links, [Watch(t, "", "", links=v) for t, v in known])

    def baseline(
        self, trial_ids: Sequence[str], progress: Progress | None = None
    ) -> list[CheckOutcome]:
        """Fetch the first version of trials just added."""
        watches = [self.store.watch(tid) for tid in trial_ids]
        return self.checker().check(watches, progress=progress)

    # -- checking --------------------------------------------------------------------------

    def check(self, ids: Sequence[str] = (), progress: Progress | None = None) -> CheckResult:
        """Send what is queued, check these trials (all when no ID), store, alert."""
        not_sent = self.deliver().errors
        if ids:
            watches = [self.store.watch(parse_trial_id(text).value) for text in ids]
        else:
            watches = self.store.watches()
        started = self.clock()
        outcomes = self.checker().check(watches, progress=progress)
        self.store.record_run(CheckRun.of("cli", started, self.clock(), outcomes))
        delivery = self.alert(outcomes)
        titles = {w.trial_id: w.title for w in self.watches()}
        return CheckResult(
            tuple(outcomes), not_sent + (delivery.errors if delivery else ()), titles
        )

    # -- alerts, the outbox and the digest ---------------------------------------------------

    @property
    def notifying(self) -> bool:
        return self.settings.email.enabled or bool(self.settings.apprise_urls)

    def url_for(self, watch: Watch) -> str | None:
        """A trial's public page on its register."""
        try:
            return get_source(watch.source, self.settings).record_url(watch.trial_id)
        except WatcherError:  # a source removed from config must not stop a report
            return None

    def alert(self, outcomes: Sequence[CheckOutcome]) -> Delivery | None:
        """Queue the alert of a check run (one message per run, never one per change) and
        send the outbox; None when nothing is configured to send."""
        if not self.notifying:
            return None
        from watcher.notify.outbox import queue
        from watcher.registrations import with_record_facts
        from watcher.report.compose import to_messages
        from watcher.report.context import alert_context

        now = self.clock()
        known = with_record_facts(self.store, self.store.watches(include_removed=True))
        watches = {w.trial_id: w for w in known}
        ctx = alert_context(outcomes, watches, self.settings, now, self.url_for)
        if ctx is not None:
            queue(self.store, to_messages(ctx, self.settings, "alert"), now)
        return self.deliver()

    def deliver(self) -> Delivery:
        """Send what the outbox holds that is due; a failure stays queued."""
        from watcher.notify.outbox import Delivery, deliver, senders

        if not self.notifying:
            return Delivery(0, 0, (), 0)
        wait = self.settings.email.retry_after
        return deliver(self.store, senders(self.settings), self.clock(), wait)

    def digest(self, since: date | None = None) -> ReportContext:
        """The digest due now: from where the last one ended (or ``since``, or a week ago)."""
        now = self.clock()
        start = midnight(since) if since else self.store.last_digest_end()
        return self._period(start or now - timedelta(days=7), now, "digest")

    def _period(self, start: datetime, end: datetime, kind: str) -> ReportContext:
        from watcher.registrations import all_disagreements
        from watcher.report.context import period_context

        watches = self.watches()
        return period_context(
            self.store.changed_since(start, end),
            watches,
            self.store.runs_between(start, end),
            self.settings,
            start,
            end,
            self.url_for,
            kind=kind,
            disagreements=all_disagreements(self.store, watches, self.settings.links),
            unreviewed=self.store.unreviewed_before(end - self.settings.remind_after),
        )

    def require_notifying(self) -> None:
        """``ConfigError`` saying what to set when nothing is configured to send."""
        if not self.notifying:
            raise ConfigError(
                self.settings.origin,
                "email.enabled",
                "e-mail is off (and no notify.apprise_urls); set it to true (and smtp_host, "
                "from, to) to send",
            )

    def send_digest(self, ctx: ReportContext | None = None) -> Delivery:
        """Queue the digest (the one due now unless given) behind what is already queued, and
        send them; a failure stays queued and goes out with the next delivery."""
        self.require_notifying()
        from watcher.notify.outbox import queue
        from watcher.report.compose import to_messages

        ctx = ctx if ctx is not None else self.digest()
        earlier = self.deliver()  # older messages first
        queue(self.store, to_messages(ctx, self.settings, "digest"), self.clock())
        now = self.deliver()
        return replace(now, sent=earlier.sent + now.sent, errors=earlier.errors + now.errors)

    # -- reading the history -----------------------------------------------------------------

    def version(self, trial: str, number: int | None = None) -> Version:
        return self.store.version(parse_trial_id(trial).value, number)

    def history(self, trial: str) -> list[Version]:
        return self.store.history(parse_trial_id(trial).value)

    def diff(self, trial: str, from_: int | None = None, to: int | None = None) -> DiffResult:
        """Field changes between two versions (default: the last two), and red flags, where
        the trial's other watched registrations disagree with it among them."""
        from watcher.core.diff import diff_records, since_start
        from watcher.core.flags import red_flags
        from watcher.registrations import flags_for

        trial_id = parse_trial_id(trial).value
        new = self.store.version(trial_id, to)
        old = self.store.version(trial_id, from_ if from_ is not None else max(new.version - 1, 1))
        rules = self.settings.diff
        versions = [v for v in self.store.history(trial_id) if v.version <= new.version]
        first = versions[0]
        return DiffResult(
            old,
            new,
            first,
            tuple(diff_records(old.record, new.record, rules)),
            tuple(red_flags([v.record for v in versions], date.today(), self.settings.flags))
            + tuple(flags_for(self.store, new.record, self.watches(), self.settings.links)),
            tuple(since_start(first.record, new.record, rules)) if old.version > 1 else (),
        )

    def review(self, ids: Sequence[str], by: str, note: str | None = None) -> int:
        """Mark every change of these trials found so far reviewed (by, now, note); how many."""
        trial_ids = [parse_trial_id(text).value for text in ids]
        return self.store.review(trial_ids, by, self.clock(), note)

    def export(self, trial: str, fmt: str = "csv") -> str:
        """A trial's whole change log for filing: CSV, or a printable HTML page."""
        from watcher.registrations import with_record_facts
        from watcher.report.export import change_rows, to_csv, to_html

        trial_id = parse_trial_id(trial).value
        (watch,) = with_record_facts(self.store, [self.store.watch(trial_id)])
        rows = change_rows(self.store.history(trial_id), self.settings.diff)
        if fmt == "csv":
            return to_csv(rows)
        name = watch.title if watch.title != trial_id else None
        return to_html(rows, trial_id, name, self.url_for(watch), self.settings, self.clock())

    def reparse(self, ids: Sequence[str] = ()) -> list[Rereading]:
        """Read the stored history of these trials (every trial ever watched when no ID is
        given) again with the current parsers, so that history shows register changes only.
        One transaction a trial: safe to interrupt, and to run twice."""
        from watcher.reread import reread

        if ids:
            trial_ids = [parse_trial_id(text).value for text in ids]
            for tid in trial_ids:
                self.store.watch(tid)  # an unknown ID is an error before anything is done
        else:
            trial_ids = [w.trial_id for w in self.store.watches(include_removed=True)]
        adapter, rules = self.checker().adapter, self.settings.diff
        return [reread(self.store, adapter, tid, rules) for tid in trial_ids]

    def report(self, since: date | None = None, trial: str | None = None) -> ReportContext:
        """The changes of a period (default: the last week), or one trial's whole history."""
        now = self.clock()
        if trial is not None:
            from watcher.report.context import history_context

            trial_id = parse_trial_id(trial).value
            watch, versions = self.store.watch(trial_id), self.store.history(trial_id)
            return history_context(watch, versions, self.settings, now, self.url_for)
        start = midnight(since) if since else now - timedelta(days=7)
        return self._period(start, now, "report")

    def render(self, ctx: ReportContext, fmt: str) -> str:
        """A context as ``text``, ``html`` or ``atom``, for a report or a digest."""
        from watcher.report.render import render, render_atom

        if fmt == "atom":
            return render_atom(ctx)
        page = "digest" if ctx.kind == "digest" else "report"
        return render(ctx, f"{page}.{'html' if fmt == 'html' else 'txt'}.j2", self.settings)

    # -- offline: saved payloads ---------------------------------------------------------------

    def parse_file(self, path: str, source: str) -> Parsed:
        """Normalize a saved register payload; no database. A value the parser does not
        understand is kept as its text and named in ``warnings``."""
        from watcher.offline import parse_file

        return parse_file(self.settings, path, source)

    def compare_files(self, old: str, new: str, source: str) -> Comparison:
        """Two saved payloads of one source, record by record; no database."""
        from watcher.offline import compare_files

        return compare_files(self.settings, old, new, source)

    # -- the daemon and its health --------------------------------------------------------------

    def status(self) -> Status:
        """When the daemon last completed a cycle; what is due, failing and stale."""
        from watcher.health import status

        return status(self.store, self.settings, self.clock())

    def run(self) -> None:
        """The daemon: check on schedule, alert, send the digest, until SIGTERM."""
        from watcher.daemon import Daemon

        Daemon(self).run()

    def upgrade_database(self) -> str:
        """Apply the schema migrations; the database's URL, without its password."""
        from watcher.store.migrate import upgrade_url

        return upgrade_url(self.settings.database.url)
