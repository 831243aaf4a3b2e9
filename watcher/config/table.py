"""The settings table: every key, its default as written in TOML, and its help. The only place
defaults live; config.example.toml is kept in step with it by a test."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from watcher.config.source_table import SOURCE_SETTINGS
from watcher.config.values import (
    Setting,
    boolean,
    count,
    db_url,
    parse_duration,
    parse_size,
    parse_weekly,
    port,
    positive_int,
    record_fields,
    share,
    significances,
    str_list,
    string,
    tag_intervals,
    tag_recipients,
    time_zone,
)


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    """SQLite in the user's data directory (``$XDG_DATA_HOME/watcher/watcher.db``)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'watcher' / 'watcher.db'}"


_MAX_PAGE = (
    "The largest streamed page of many records (CT.gov: 1,000 of the largest studies are "
    "370MB), read a record at a time, counted after decompression."
)
_TIMEZONE = (
    'The office\'s time zone for pages, mails and exports ("Europe/Paris"; JSON stays UTC); '
    '"": the machine\'s.'
)
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database.url",
        None,
        db_url,
        "SQLAlchemy URL of the database; default: SQLite in the user's data directory "
        "($XDG_DATA_HOME/watcher/watcher.db). $WATCHER_DATABASE_URL overrides it.",
    ),
    Setting(
        "schedule.check_interval",
        "24h",
        parse_duration,
        'How often every watched trial is checked: "30s", "90m", "24h", "7d".',
    ),
    Setting(
        "schedule.tick",
        "60s",
        parse_duration,
        "How often the daemon looks for trials that are due (each is checked every "
        "check_interval, spread over it); also how often it retries queued messages.",
    ),
    Setting(
        "schedule.failures_before_alert",
        3,
        positive_int,
        "After this many failed checks in a row a trial is reported as failing (in the alert "
        "and the digest), and once more when it recovers.",
    ),
    Setting(
        "schedule.tags",
        {},
        tag_intervals,
        'Check intervals by tag, e.g. { safety = "24h" }: a trial with the tag is checked on '
        "it (the shortest applies when several do, `add --every` included).",
    ),
    Setting(
        "schedule.digest",
        "mon 08:00",
        parse_weekly,
        "When the weekly digest is sent, in the local time zone.",
    ),
    Setting(
        "http.timeout",
        "30s",
        parse_duration,
        "How long a register may stay silent: to connect, or between two parts of its answer.",
    ),
    Setting(
        "http.deadline",
        "1m",
        parse_duration,
        "How long one answer may take in all, however slowly it trickles in (a streamed page "
        "of many records: each record of it). Past it the check of that trial fails.",
    ),
    Setting(
        "http.max_answer",
        "64MB",
        parse_size,
        "The largest answer read for one record, counted after decompression (the largest "
        "real records, CT.gov studies with results, are a few MB). A larger one fails its trial.",
    ),
    Setting("http.max_page", "2GB", parse_size, _MAX_PAGE),
    Setting(
        "http.retries",
        3,
        count,
        "How often a failed request (timeout, connection error, 429, 5xx) is tried again.",
    ),
    Setting(
        "http.backoff",
        "2s",
        parse_duration,
        "The first wait before a retry; it doubles at each further try. A Retry-After "
        "header from the register wins when it asks for longer.",
    ),
    Setting(
        "http.contact",
        "",
        string,
        "An e-mail address or URL sent in the User-Agent, so that a register can reach "
        "whoever runs this watcher instead of blocking it.",
    ),
    *SOURCE_SETTINGS,
    Setting(
        "diff.major",
        [],
        record_fields,
        "Record fields whose changes count as major (alerted at once), beyond the built-in "
        "ones: recruitment status, target sample size, primary outcomes, key dates, sponsor, "
        "results, phase.",
    ),
    Setting("diff.minor", [], record_fields, "Record fields whose changes count as minor."),
    Setting(
        "diff.metadata",
        [],
        record_fields,
        "Record fields whose changes count as the register's bookkeeping (never alerted).",
    ),
    Setting(
        "diff.ignore", [], record_fields, "Record fields whose changes are not reported at all."
    ),
    Setting(
        "diff.similarity",
        0.5,
        share,
        "How alike two outcomes (or conditions, interventions) must be, from 0 to 1 by their "
        "words, to be one item reworded rather than one removed and another added.",
    ),
    Setting(
        "flags.target_cut",
        0.25,
        share,
        "Flag a target sample size cut by more than this share of its first value.",
    ),
    Setting(
        "flags.status_stale_after",
        "90d",
        parse_duration,
        "Flag a status still not ended this long after the trial's completion date.",
    ),
    Setting(
        "flags.results_due_after",
        "365d",
        parse_duration,
        "Flag a trial without results this long after its end.",
    ),
    Setting(
        "flags.registrations_size_gap",
        0.2,
        share,
        "Flag two registrations of one trial whose whole-trial target sizes differ by more "
        "than this share of the larger.",
    ),
    Setting(
        "flags.registrations_date_gap",
        "90d",
        parse_duration,
        "Flag two registrations of one trial whose end dates are further apart than this.",
    ),
    Setting("serve.host", "127.0.0.1", string, "Address `watcher serve` listens on."),
    Setting("serve.port", 8470, port, "Port `watcher serve` listens on."),
    Setting(
        "serve.password_file",
        "",
        string,
        "A file holding `user:password` (or a password, for user `watcher`): needed before "
        "`watcher serve` listens on anything but loopback; every page but /healthz then asks "
        "for these HTTP Basic credentials.",
    ),
    Setting(
        "serve.public_url",
        "",
        string,
        "The address the office opens the web view at (https://watcher.example.org): alerts "
        "and digests then link each trial to its page.",
    ),
    Setting(
        "serve.secret_file",
        "",
        string,
        "Where the web view keeps the secret its forms are signed with (a form opened before "
        'a restart posts after it); made on first use. "": web-secret in $STATE_DIRECTORY '
        "(systemd), else beside the SQLite database, else in ~/.local/state/watcher.",
    ),
    Setting(
        "serve.default_reviewer",
        "office",
        string,
        "Who a review made in the browser is recorded as when nobody signs in (loopback "
        "without a password file).",
    ),
    Setting(
        "review.remind_after",
        "14d",
        parse_duration,
        "The digest lists the changes nobody has reviewed (`watcher review`) for this long.",
    ),
    Setting(
        "email.enabled",
        False,
        boolean,
        "Send alerts and digests. Off until smtp_host, from and to are yours; messages are "
        "not even queued while it is off.",
    ),
    Setting("email.smtp_host", "localhost", string, "SMTP server for alerts and the digest."),
    Setting("email.smtp_port", 25, port, "Its port (587 for submission with STARTTLS)."),
    Setting("email.starttls", False, boolean, "Upgrade the connection with STARTTLS."),
    Setting(
        "email.ca_file",
        "",
        string,
        "A PEM file of the certificate authorities to trust for STARTTLS (an internal CA); "
        "empty: the system's.",
    ),
    Setting("email.username", "", string, "SMTP login, when the server asks for one."),
    Setting(
        "email.password_file",
        "",
        string,
        "A file holding the SMTP password; $WATCHER_SMTP_PASSWORD wins over it. The password "
        "is never written to logs or messages.",
    ),
    Setting("email.from", "watcher@example.org", string, "Sender address of every message."),
    Setting("email.to", ["trials-office@example.org"], str_list, "Recipients of every message."),
    Setting(
        "email.tags",
        {},
        tag_recipients,
        'More recipients by tag, e.g. { oncology = ["onc@example.org"] }: they get the '
        "alerts and digests of the trials with that tag.",
    ),
    Setting(
        "email.alert_on",
        ["major", "minor"],
        significances,
        "Which changes are alerted right after a check (one message per check run); the rest "
        "waits for the weekly digest. Metadata changes are never alerted.",
    ),
    Setting(
        "email.retry_after",
        "5m",
        parse_duration,
        "The first wait before a message that could not be sent is tried again; it doubles "
        "at each try, up to 6 hours.",
    ),
    Setting(
        "notify.apprise_urls",
        [],
        str_list,
        "Other channels for alerts and digests, as apprise URLs (Slack, Teams, webhooks: "
        "slack://..., msteams://..., json://host/path); needs pip install 'watcher[apprise]'.",
    ),
    Setting(
        "report.templates_dir",
        "",
        string,
        "A folder of templates that replace the built-in ones of the same name "
        "(alert.html.j2, digest.txt.j2, report.html.j2, ...).",
    ),
    Setting("display.timezone", "", time_zone, _TIMEZONE),
)

SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
