"""What the office is told: alerts, the outbox, the weekly digest, reports of a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from watcher.clock import midnight
from watcher.core.model import CheckOutcome, Watch
from watcher.core.searches import SearchNews, news_of
from watcher.errors import ConfigError, WatcherError
from watcher.service.watches import Watching
from watcher.sources import get as get_source

if TYPE_CHECKING:
    from watcher.notify.outbox import Delivery
    from watcher.report.context import ReportContext


class Messaging(Watching):
    @property
    def notifying(self) -> bool:
        return self.settings.email.enabled or bool(self.settings.apprise_urls)

    def url_for(self, watch: Watch) -> str | None:
        """A trial's public page on its register."""
        try:
            return get_source(watch.source, self.settings).record_url(watch.trial_id)
        except WatcherError:  # a source removed from config must not stop a report
            return None

    def alert(
        self, outcomes: Sequence[CheckOutcome], searches: Sequence[SearchNews] = ()
    ) -> Delivery | None:
        """Queue the alert of a check run (one message per run, never one per change, with
        what the saved searches found) and send the outbox; None when nothing is configured
        to send."""
        told = [(o.trial_id, o.version) for o in outcomes if o.kind == "changed" and o.version]
        if not self.notifying:
            self._store.mark_alerted(told)
            return None
        from watcher.report.compose import to_messages
        from watcher.report.context import alert_context

        now = self.clock()
        watches = {w.trial_id: w for w in self.watches(include_removed=True)}
        ctx = alert_context(
            outcomes,
            watches,
            self.settings,
            now,
            self.url_for,
            lambda tid: [v.record for v in self._store.history(tid)],
            searches,
        )
        if ctx is not None:
            self._store.queue_messages(to_messages(ctx, self.settings, "alert"), now, told)
        else:
            self._store.mark_alerted(told)
        return self.deliver()

    def deliver(self) -> Delivery:
        """Send what the outbox holds that is due; a failure stays queued."""
        from watcher.notify.outbox import Delivery, deliver, senders

        if not self.notifying:
            return Delivery(0, 0, (), 0)
        wait = self.settings.email.retry_after
        return deliver(self._store, senders(self.settings), self.clock(), wait)

    def last_digest_end(self) -> datetime | None:
        """Where the last digest sent ended (the next starts there); None before the first."""
        return self._store.last_digest_end()

    def digest(self, since: date | None = None) -> ReportContext:
        """The digest due now: from where the last one ended (or ``since``, or a week ago)."""
        now = self.clock()
        start = midnight(since) if since else self.last_digest_end()
        return self._period(start or now - timedelta(days=7), now, "digest")

    def _period(self, start: datetime, end: datetime, kind: str) -> ReportContext:
        from watcher.registrations import all_disagreements
        from watcher.report.context import period_context

        watches = self.watches()
        ctx = period_context(
            self._store.changed_since(start, end),
            watches,
            self._store.runs_between(start, end),
            self.settings,
            start,
            end,
            self.url_for,
            kind=kind,
            disagreements=all_disagreements(self._store, watches, self.settings.links),
            unreviewed=self._store.unreviewed_before(end - self.settings.remind_after),
        )
        return replace(ctx, searches=self._searches_between(start, end))

    def _searches_between(self, start: datetime, end: datetime) -> tuple[SearchNews, ...]:
        """What each followed search found in the period, and those capped or failing."""
        out = []
        for search in self._store.searches():
            news = news_of(search, self._store.memberships(search.name, start), start, end)
            if news.worth_a_digest:
                out.append(news)
        return tuple(out)

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
        from watcher.report.compose import to_messages

        ctx = ctx if ctx is not None else self.digest()
        earlier = self.deliver()  # older messages first
        self._store.queue_messages(to_messages(ctx, self.settings, "digest"), self.clock(), ())
        now = self.deliver()
        return replace(now, sent=earlier.sent + now.sent, errors=earlier.errors + now.errors)

    def report(self, since: date | None = None, trial: str | None = None) -> ReportContext:
        """The changes of a period (default: the last week), or one trial's whole history."""
        now = self.clock()
        if trial is not None:
            from watcher.report.context import history_context

            trial_id = self._one_record(trial)
            watch, versions = self._store.watch(trial_id), self._store.history(trial_id)
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
