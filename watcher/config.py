"""Settings: one table of every key with its default and help, read from TOML and the environment.

Where the config comes from (contract §1): ``--config PATH``, else ``$WATCHER_CONFIG``, else
``./watcher.toml`` when it exists, else the built-in defaults. ``$WATCHER_DATABASE_URL``
overrides the database URL. Errors name the file, the key and what was expected.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from watcher.diff import DiffRules
from watcher.errors import ConfigError
from watcher.flags import FlagRules
from watcher.model import Significance

# ---------------------------------------------------------------------------------------------
# Value parsers: each takes the TOML value and returns the setting's value or raises ValueError
# with what was expected.

_DURATION_PART = re.compile(r"(\d+)\s*([smhd])")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: object) -> timedelta:
    """``"30s"``, ``"90m"``, ``"24h"``, ``"7d"`` (parts may be combined: ``"1h30m"``)."""
    if not isinstance(value, str):
        raise ValueError('expected a duration such as "30s", "90m", "24h" or "7d"')
    text = value.strip().lower()
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        raise ValueError(f'expected a duration such as "30s", "90m", "24h" or "7d", got {value!r}')
    total = timedelta()
    for number, unit in parts:
        total += timedelta(**{_DURATION_UNITS[unit]: int(number)})
    if total <= timedelta():
        raise ValueError(f"expected a duration longer than zero, got {value!r}")
    return total


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})")


def parse_weekly(value: object) -> str:
    """A weekly time such as ``"mon 08:00"`` (local time zone), returned in that form."""
    if isinstance(value, str) and (m := _WEEKLY.fullmatch(value.strip().lower())):
        day, hour, minute = m[1], int(m[2]), int(m[3])
        if day in _WEEKDAYS and hour < 24 and minute < 60:
            return f"{day} {hour:02d}:{minute:02d}"
    raise ValueError(f'expected a weekday and a time such as "mon 08:00", got {value!r}')


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _url(value: object) -> str:
    text = _str(value).rstrip("/")
    if not re.match(r"https?://[^/\s]+", text):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return text


def _db_url(value: object) -> str:
    text = _str(value)
    if not re.match(r"[a-z][a-z0-9+]*://", text):
        raise ValueError(
            f"expected an SQLAlchemy URL such as sqlite:///watcher.db or "
            f"postgresql+psycopg://user@host/db, got {value!r}"
        )
    return text


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number of at least 0, got {value!r}")
    return value


def _port(value: object) -> int:
    port = _positive_int(value)
    if port > 65535:
        raise ValueError(f"expected a port number from 1 to 65535, got {value!r}")
    return port


def _source_name(value: object) -> str:
    text = _str(value)
    if text not in SOURCE_NAMES:
        raise ValueError(f"expected one of {', '.join(SOURCE_NAMES)}, got {value!r}")
    return text


def _prefix_table(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { NCT = "ctgov", EUCTR = "euctr" }')
    out = {}
    for prefix, name in value.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z-]*", prefix):
            raise ValueError(f"expected trial ID prefixes such as NCT or EUCTR, got {prefix!r}")
        try:
            out[prefix.upper()] = _source_name(name)
        except ValueError as e:
            raise ValueError(f"{prefix}: {e}") from None
    return out


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _significances(value: object) -> tuple[str, ...]:
    names = _str_list(value)
    wrong = [n for n in names if n not in ("major", "minor")]
    if wrong:
        raise ValueError(f'expected a list of "major" and "minor", got {wrong!r}')
    return names


def _tag_recipients(value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { oncology = ["onc@example.org"] }')
    try:
        return {str(tag): _str_list(addresses) for tag, addresses in value.items()}
    except ValueError as e:
        raise ValueError(f"each tag takes a list of addresses ({e})") from None


def _fields(value: object) -> frozenset[str]:
    from watcher.fields import FIELDS

    names = _str_list(value)
    unknown = [n for n in names if n.split(".")[0] not in FIELDS]
    if unknown:
        raise ValueError(
            f"unknown record fields {', '.join(map(repr, unknown))} (fields: {', '.join(FIELDS)})"
        )
    return frozenset(names)


def _share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"expected a number from 0 to 1, got {value!r}")
    return float(value)


def _str_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(value)


# The adapters (watcher.registries.SOURCES), named here so that config stays below them.
SOURCE_NAMES = ("ctgov", "euctr", "ictrp")

# ---------------------------------------------------------------------------------------------
# The table: every setting, its default as written in TOML, and its help.


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    default: Any
    parse: Callable[[object], Any]
    help: str


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    """SQLite in the user's data directory (``$XDG_DATA_HOME/watcher/watcher.db``)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'watcher' / 'watcher.db'}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database.url",
        None,
        _db_url,
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
        _positive_int,
        "After this many failed checks in a row a trial is reported as failing (in the alert "
        "and the digest), and once more when it recovers.",
    ),
    Setting(
        "schedule.digest",
        "mon 08:00",
        parse_weekly,
        "When the weekly digest is sent, in the local time zone.",
    ),
    Setting("http.timeout", "30s", parse_duration, "How long one request to a register may take."),
    Setting(
        "http.retries",
        3,
        _count,
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
        _str,
        "An e-mail address or URL sent in the User-Agent, so that a register can reach "
        "whoever runs this watcher instead of blocking it.",
    ),
    Setting(
        "sources.default",
        "ictrp",
        _source_name,
        "The adapter for trial IDs that no `sources.by_prefix` entry names: ICTRP carries "
        "the records of every WHO primary register.",
    ),
    Setting(
        "sources.by_prefix",
        {"NCT": "ctgov", "EUCTR": "euctr"},
        _prefix_table,
        "Which adapter fetches the IDs that start with a prefix (the longest prefix wins); "
        "`watcher add --source` overrides it for one trial.",
    ),
    Setting(
        "sources.ctgov.base_url",
        "https://clinicaltrials.gov",
        _url,
        "ClinicalTrials.gov, API v2 below /api/v2.",
    ),
    Setting(
        "sources.ctgov.requests_per_minute",
        50,
        _positive_int,
        "Request budget for ClinicalTrials.gov (it asks for about 50 a minute per address).",
    ),
    Setting(
        "sources.ctgov.page_size",
        1000,
        _positive_int,
        "Studies asked for in one batch request (the API allows up to 1000).",
    ),
    Setting(
        "sources.ctgov.fields",
        "protocolSection,hasResults",
        _str,
        "The API's `fields` parameter: which parts of a study to fetch. Results tables "
        "are large and are not compared; empty fetches everything.",
    ),
    Setting(
        "sources.ictrp.base_url",
        "https://trialsearch.who.int",
        _url,
        "WHO ICTRP trial search: its trial pages (Trial2.aspx?TrialID=...).",
    ),
    Setting(
        "sources.ictrp.requests_per_minute",
        10,
        _positive_int,
        "Request budget for ICTRP, low on purpose: WHO asks crawlers to get in touch first.",
    ),
    Setting(
        "sources.ictrp.username",
        "",
        _str,
        "ICTRP web-service account (ictrpinfo@who.int gives them). When set, records come "
        "from the web service instead of the trial pages.",
    ),
    Setting(
        "sources.ictrp.password_file",
        "",
        _str,
        "A file holding the web-service password; $WATCHER_ICTRP_PASSWORD wins over it. "
        "The password is never written to logs or messages.",
    ),
    Setting(
        "sources.ictrp.service_url",
        "https://apps.who.int/trialsearch/TrialService.asmx",
        _url,
        "The ICTRP web service.",
    ),
    Setting(
        "sources.euctr.base_url",
        "https://www.clinicaltrialsregister.eu",
        _url,
        "EU Clinical Trials Register.",
    ),
    Setting(
        "sources.euctr.requests_per_minute",
        300,
        _positive_int,
        "Request budget for EUCTR (it allows at most 100 requests in 20 seconds).",
    ),
    Setting(
        "diff.major",
        [],
        _fields,
        "Record fields whose changes count as major (alerted at once), beyond the built-in "
        "ones: recruitment status, target sample size, primary outcomes, key dates, sponsor, "
        "results, phase.",
    ),
    Setting("diff.minor", [], _fields, "Record fields whose changes count as minor."),
    Setting(
        "diff.metadata",
        [],
        _fields,
        "Record fields whose changes count as the register's bookkeeping (never alerted).",
    ),
    Setting("diff.ignore", [], _fields, "Record fields whose changes are not reported at all."),
    Setting(
        "diff.similarity",
        0.5,
        _share,
        "How alike two outcomes (or conditions, interventions) must be, from 0 to 1 by their "
        "words, to be one item reworded rather than one removed and another added.",
    ),
    Setting(
        "flags.target_cut",
        0.25,
        _share,
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
        "email.enabled",
        False,
        _bool,
        "Send alerts and digests. Off until smtp_host, from and to are yours; messages are "
        "not even queued while it is off.",
    ),
    Setting("email.smtp_host", "localhost", _str, "SMTP server for alerts and the digest."),
    Setting("email.smtp_port", 25, _port, "Its port (587 for submission with STARTTLS)."),
    Setting("email.starttls", False, _bool, "Upgrade the connection with STARTTLS."),
    Setting(
        "email.ca_file",
        "",
        _str,
        "A PEM file of the certificate authorities to trust for STARTTLS (an internal CA); "
        "empty: the system's.",
    ),
    Setting("email.username", "", _str, "SMTP login, when the server asks for one."),
    Setting(
        "email.password_file",
        "",
        _str,
        "A file holding the SMTP password; $WATCHER_SMTP_PASSWORD wins over it. The password "
        "is never written to logs or messages.",
    ),
    Setting("email.from", "watcher@example.org", _str, "Sender address of every message."),
    Setting("email.to", ["trials-office@example.org"], _str_list, "Recipients of every message."),
    Setting(
        "email.tags",
        {},
        _tag_recipients,
        'More recipients by tag, e.g. { oncology = ["onc@example.org"] }: they get the '
        "alerts and digests of the trials with that tag.",
    ),
    Setting(
        "email.alert_on",
        ["major", "minor"],
        _significances,
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
        _str_list,
        "Other channels for alerts and digests, as apprise URLs (Slack, Teams, webhooks: "
        "slack://..., msteams://..., json://host/path); needs pip install 'watcher[apprise]'.",
    ),
    Setting(
        "report.templates_dir",
        "",
        _str,
        "A folder of templates that replace the built-in ones of the same name "
        "(alert.html.j2, digest.txt.j2, report.html.j2, ...).",
    ),
)
SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


# ---------------------------------------------------------------------------------------------
# The typed result.


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    check_interval: timedelta
    digest: str
    tick: timedelta = timedelta(seconds=60)
    failures_before_alert: int = 3


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout: timedelta
    retries: int
    backoff: timedelta
    contact: str


@dataclass(frozen=True, slots=True)
class SourceSettings:
    base_url: str
    requests_per_minute: int | None = None
    page_size: int | None = None
    fields: str | None = None
    username: str = ""
    password: str = field(default="", repr=False)
    service_url: str = ""


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    default: str
    by_prefix: Mapping[str, str]

    def source_for(self, trial_id: str) -> str:
        """The adapter for ``trial_id``: the longest matching prefix, else the default."""
        matches = [p for p in self.by_prefix if trial_id.upper().startswith(p)]
        return self.by_prefix[max(matches, key=len)] if matches else self.default


@dataclass(frozen=True, slots=True)
class EmailSettings:
    smtp_host: str
    smtp_port: int
    sender: str
    to: tuple[str, ...]
    enabled: bool = False
    starttls: bool = False
    ca_file: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    alert_on: tuple[str, ...] = ("major", "minor")
    retry_after: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings
    schedule: ScheduleSettings
    http: HttpSettings
    sources: Mapping[str, SourceSettings]
    routing: RoutingSettings
    email: EmailSettings
    diff: DiffRules
    flags: FlagRules
    templates_dir: str | None = None
    apprise_urls: tuple[str, ...] = ()
    # Where the settings were read from, for messages; "defaults" when no file was read.
    origin: str = "defaults"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in SETTINGS_BY_KEY:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def from_mapping(
    data: Mapping[str, Any], origin: str = "defaults", env: Mapping[str, str] | None = None
) -> Settings:
    """Settings from a parsed TOML document; unknown keys and bad values are errors."""
    env = os.environ if env is None else env
    given = _flatten(data)
    for key in given:
        if key not in SETTINGS_BY_KEY:
            raise ConfigError(origin, key, "unknown setting (see config.example.toml)")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = given.get(setting.key, setting.default)
        if raw is None:
            values[setting.key] = None
            continue
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as e:
            raise ConfigError(origin, setting.key, str(e)) from None
    db_url = env.get("WATCHER_DATABASE_URL")
    if db_url:
        try:
            values["database.url"] = _db_url(db_url)
        except ValueError as e:
            raise ConfigError("$WATCHER_DATABASE_URL", None, str(e)) from None
    v = values
    return Settings(
        database=DatabaseSettings(url=v["database.url"] or default_database_url(env)),
        schedule=ScheduleSettings(
            v["schedule.check_interval"],
            v["schedule.digest"],
            v["schedule.tick"],
            v["schedule.failures_before_alert"],
        ),
        http=HttpSettings(
            v["http.timeout"], v["http.retries"], v["http.backoff"], v["http.contact"]
        ),
        sources={
            "ctgov": SourceSettings(
                v["sources.ctgov.base_url"],
                v["sources.ctgov.requests_per_minute"],
                v["sources.ctgov.page_size"],
                v["sources.ctgov.fields"],
            ),
            "ictrp": SourceSettings(
                v["sources.ictrp.base_url"],
                v["sources.ictrp.requests_per_minute"],
                username=v["sources.ictrp.username"],
                password=_secret(
                    "WATCHER_ICTRP_PASSWORD",
                    v["sources.ictrp.password_file"],
                    "sources.ictrp.password_file",
                    origin,
                    env,
                ),
                service_url=v["sources.ictrp.service_url"],
            ),
            "euctr": SourceSettings(
                v["sources.euctr.base_url"], v["sources.euctr.requests_per_minute"]
            ),
        },
        routing=RoutingSettings(v["sources.default"], v["sources.by_prefix"]),
        diff=_diff_rules(v, origin),
        flags=FlagRules(
            v["flags.target_cut"], v["flags.status_stale_after"], v["flags.results_due_after"]
        ),
        email=EmailSettings(
            v["email.smtp_host"],
            v["email.smtp_port"],
            v["email.from"],
            v["email.to"],
            enabled=v["email.enabled"],
            starttls=v["email.starttls"],
            ca_file=v["email.ca_file"],
            username=v["email.username"],
            password=_secret(
                "WATCHER_SMTP_PASSWORD",
                v["email.password_file"],
                "email.password_file",
                origin,
                env,
            ),
            tags=v["email.tags"],
            alert_on=v["email.alert_on"],
            retry_after=v["email.retry_after"],
        ),
        templates_dir=v["report.templates_dir"] or None,
        apprise_urls=v["notify.apprise_urls"],
        origin=origin,
    )


def _diff_rules(v: Mapping[str, Any], origin: str) -> DiffRules:
    significance: dict[str, Significance] = {}
    for level in ("major", "minor", "metadata"):
        for name in v[f"diff.{level}"]:
            if name in significance:
                raise ConfigError(
                    origin, f"diff.{level}", f"{name!r} is also under diff.{significance[name]}"
                )
            significance[name] = level
    return DiffRules(significance, v["diff.ignore"], v["diff.similarity"])


def _secret(variable: str, path: str, key: str, origin: str, env: Mapping[str, str]) -> str:
    """A password from ``$variable``, else from the file the ``key`` setting names."""
    if env.get(variable):
        return env[variable]
    if not path:
        return ""
    try:
        return Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(origin, key, f"cannot read {path} ({e.strerror})") from None


def load(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read the settings the contract's way (see the module docstring)."""
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get("WATCHER_CONFIG"))
    chosen = Path(path) if path is not None else Path(env.get("WATCHER_CONFIG") or "watcher.toml")
    if not chosen.exists():
        if explicit:
            raise ConfigError(str(chosen), None, "no such config file")
        return from_mapping({}, env=env)
    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(str(chosen), None, f"cannot read it ({e.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(str(chosen), None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(chosen), None, f"not valid TOML ({e})") from None
    return from_mapping(data, origin=str(chosen), env=env)
