"""Settings as typed values: read from TOML and the environment, checked against the table.

Where the config comes from (docs/contract.md §1): ``--config PATH``, else ``$WATCHER_CONFIG``, else
``./watcher.toml`` when it exists, else the built-in defaults. ``$WATCHER_DATABASE_URL``
overrides the database URL. Errors name the file, the key and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from watcher.config.table import SETTINGS, SETTINGS_BY_KEY, default_database_url
from watcher.config.values import db_url
from watcher.core.fields import DiffRules
from watcher.core.flags import FlagRules
from watcher.core.links import LinkRules
from watcher.core.model import SIGNIFICANCES, Significance, Watch
from watcher.errors import ConfigError
from watcher.registers import SOURCES


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    check_interval: timedelta
    digest: str
    tick: timedelta = timedelta(seconds=60)
    failures_before_alert: int = 3
    tags: Mapping[str, timedelta] = field(default_factory=dict)

    def interval_for(self, every: timedelta | None, tags: Sequence[str]) -> timedelta:
        """A trial's check interval: the shortest of its own (`add --every`) and its tags'
        (``[schedule.tags]``); the global one when it has neither."""
        own = [every] if every is not None else []
        own += [self.tags[t] for t in tags if t in self.tags]
        return min(own) if own else self.check_interval

    def interval_of(self, watch: Watch) -> timedelta:
        """The check interval of a watched trial (see ``interval_for``)."""
        return self.interval_for(watch.every, watch.tags)

    def failing(self, watch: Watch) -> bool:
        """Whether a trial is reported as failing: its last ``failures_before_alert`` checks
        or more failed in a row."""
        return watch.is_failing(self.failures_before_alert)

    def stale(self, watch: Watch, now: datetime) -> bool:
        """Whether a trial is stale: no successful check for two of its intervals."""
        return watch.is_stale(now, self.interval_of(watch))


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout: timedelta
    retries: int
    backoff: timedelta
    contact: str
    deadline: timedelta = timedelta(minutes=1)
    max_answer: int = 64 * 1024**2
    max_page: int = 2 * 1024**3


@dataclass(frozen=True, slots=True)
class SourceSettings:
    base_url: str
    requests_per_minute: int | None = None
    page_size: int | None = None
    fields: str | None = None
    username: str = ""
    password: str = field(default="", repr=False)
    service_url: str = ""
    # The largest answer for one record (None: http.max_answer).
    max_answer: int | None = None
    # CT.gov: the longest time between two fetches of a study (None: fetch every time).
    full_sweep: timedelta | None = None


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
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8470
    password_file: str = ""
    public_url: str = ""
    default_reviewer: str = "office"
    secret_file: str = ""


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
    links: LinkRules = field(default_factory=LinkRules)
    # How long a change may wait for its review before the digest reminds of it.
    remind_after: timedelta = timedelta(days=14)
    serve: ServeSettings = field(default_factory=ServeSettings)
    templates_dir: str | None = None
    apprise_urls: tuple[str, ...] = ()
    # The office's time zone for what people read (pages, mails, exports); "": the machine's.
    timezone: str = ""
    # Where the settings were read from, for messages; "defaults" when no file was read.
    origin: str = "defaults"

    @property
    def zone(self) -> tzinfo:
        """The office's time zone (``display.timezone``, else the machine's)."""
        if self.timezone:
            from zoneinfo import ZoneInfo

            return ZoneInfo(self.timezone)
        return datetime.now().astimezone().tzinfo or UTC


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in SETTINGS_BY_KEY:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def from_mapping(
    data: Mapping[str, Any], origin: str = "defaults", env: Mapping[str, str] | None = None
) -> Settings:
    """Settings from a parsed TOML document; unknown keys and bad values are errors."""
    env = os.environ if env is None else env
    given = flatten(data)
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
    env_url = env.get("WATCHER_DATABASE_URL")
    if env_url:
        try:
            values["database.url"] = db_url(env_url)
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
            v["schedule.tags"],
        ),
        http=HttpSettings(
            v["http.timeout"],
            v["http.retries"],
            v["http.backoff"],
            v["http.contact"],
            v["http.deadline"],
            v["http.max_answer"],
            v["http.max_page"],
        ),
        sources={name: _source(name, v, origin, env) for name in SOURCES},
        routing=RoutingSettings(v["sources.default"], v["sources.by_prefix"]),
        diff=_diff_rules(v, origin),
        flags=FlagRules(
            v["flags.target_cut"], v["flags.status_stale_after"], v["flags.results_due_after"]
        ),
        links=LinkRules(v["flags.registrations_size_gap"], v["flags.registrations_date_gap"]),
        remind_after=v["review.remind_after"],
        serve=ServeSettings(
            v["serve.host"],
            v["serve.port"],
            v["serve.password_file"],
            v["serve.public_url"].rstrip("/"),
            v["serve.default_reviewer"],
            v["serve.secret_file"],
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
        timezone=v["display.timezone"],
        apprise_urls=v["notify.apprise_urls"],
        origin=origin,
    )


def _source(name: str, v: Mapping[str, Any], origin: str, env: Mapping[str, str]) -> SourceSettings:
    """A register's settings: every ``sources.NAME.*`` key, and its password (if it has one)
    from ``$WATCHER_NAME_PASSWORD`` or the file ``password_file`` names."""
    prefix = f"sources.{name}."
    given = {k.removeprefix(prefix): value for k, value in v.items() if k.startswith(prefix)}
    password_file = given.pop("password_file", "")
    password = _secret(
        f"WATCHER_{name.upper()}_PASSWORD", password_file, f"{prefix}password_file", origin, env
    )
    return SourceSettings(**given, password=password)


def _diff_rules(v: Mapping[str, Any], origin: str) -> DiffRules:
    significance: dict[str, Significance] = {}
    for level in SIGNIFICANCES:
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
