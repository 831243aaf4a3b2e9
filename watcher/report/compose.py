"""Messages of a context: subjects, recipients (per tag), and the queued ``Message`` of each
channel (e-mail, apprise)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from email.utils import make_msgid
from typing import Any

from watcher.config import Settings
from watcher.core.model import Message
from watcher.report.context import ReportContext, total
from watcher.report.render import render
from watcher.report.views import TrialView


def subject(ctx: ReportContext) -> str:
    n = len(ctx.trials)
    changes = f"{ctx.counts['major']} major, {ctx.counts['minor']} minor"
    if ctx.kind == "alert":
        parts = [f"{n} trial{'s' if n != 1 else ''} changed ({changes})"] if n else []
        if ctx.newly_failing:
            parts.append(f"{len(ctx.newly_failing)} failing")
        if ctx.recovered:
            parts.append(f"{len(ctx.recovered)} recovered")
        found = sum(len(s.entered) for s in ctx.searches)
        if found:
            parts.append(f"{found} new in saved searches")
        if not parts and ctx.searches:
            parts.append("saved searches: trials left, or capped")
        return "[watcher] " + ", ".join(parts)
    problems = f", {len(ctx.failing)} failing" if ctx.failing else ""
    if not n:
        return f"[watcher] Weekly digest: no changes, {ctx.checked} trials checked{problems}"
    return f"[watcher] Weekly digest: {n} trial{'s' if n != 1 else ''} changed ({changes})" + (
        problems
    )


def messages(ctx: ReportContext, settings: Settings, template: str) -> list[dict[str, Any]]:
    """The messages of a context: one to the configured recipients, and one per tag with
    recipients of its own, holding that tag's trials only."""
    groups: list[tuple[tuple[str, ...], ReportContext]] = [(settings.email.to, ctx)]
    for tag, recipients in settings.email.tags.items():
        tagged = tuple(t for t in ctx.trials if tag in t.tags)
        if tagged and recipients:
            groups.append((recipients, _narrow(ctx, tagged)))
    out = []
    for recipients, group_ctx in groups:
        out.append(
            {
                "recipients": recipients,
                "subject": subject(group_ctx),
                "text": render(group_ctx, f"{template}.txt.j2", settings),
                "html": render(group_ctx, f"{template}.html.j2", settings),
            }
        )
    return out


def _narrow(ctx: ReportContext, trials: tuple[TrialView, ...]) -> ReportContext:
    return replace(
        ctx,
        trials=trials,
        searches=(),  # (the searches go to the office's own recipients)
        counts=total(trials),
        results_posted=tuple(t.trial_id for t in trials if t.results_posted),
    )


def to_messages(ctx: ReportContext, settings: Settings, template: str) -> list[Message]:
    """The messages to queue for a context: e-mails (when e-mail is on) and one for the
    apprise channels (when any is configured)."""
    domain = settings.email.sender.rpartition("@")[2] or "watcher.invalid"
    kind: Any = "alert" if ctx.kind == "alert" else "digest"
    period = (ctx.period_start, ctx.period_end) if kind == "digest" else (None, None)

    def message(
        recipients: tuple[str, ...], subject: str, text: str, html: str, channel: str
    ) -> Message:
        return Message(
            kind=kind,
            message_id=make_msgid(
                idstring=f"watcher.{ctx.kind}.{secrets.token_hex(6)}", domain=domain
            ),
            recipients=recipients,
            subject=subject,
            text=text,
            html=html,
            period_start=period[0],
            period_end=period[1],
            channel=channel,
        )

    out = []
    if settings.email.enabled:
        out += [
            message(tuple(m["recipients"]), m["subject"], m["text"], m["html"], "email")
            for m in messages(ctx, settings, template)
        ]
    if settings.apprise_urls:
        out.append(
            message((), subject(ctx), render(ctx, f"{template}.txt.j2", settings), "", "apprise")
        )
    return out
