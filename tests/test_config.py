from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from watcher.config import (
    SETTINGS,
    format_duration,
    from_mapping,
    load,
    parse_duration,
    parse_weekly,
)
from watcher.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("90m", timedelta(minutes=90)),
        ("24h", timedelta(days=1)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "5x", "h", "0s", "1 day", 24])
def test_bad_durations_say_what_was_expected(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("30s", "90m", "24h", "7d", "1h30m"):
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)
    assert format_duration(parse_duration("90m")) == "90m"


def test_weekly_time() -> None:
    assert parse_weekly("Monday 8:00") == "mon 08:00"
    with pytest.raises(ValueError, match='"mon 08:00"'):
        parse_weekly("someday 25:00")


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load(env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert settings.origin == "defaults"
    assert settings.database.url == f"sqlite:///{tmp_path / 'data' / 'watcher' / 'watcher.db'}"
    assert settings.schedule.check_interval == timedelta(hours=24)
    assert settings.sources["ctgov"].base_url == "https://clinicaltrials.gov"


def test_watcher_toml_in_the_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "watcher.toml").write_text('[schedule]\ncheck_interval = "90m"\n')
    assert load(env={}).schedule.check_interval == timedelta(minutes=90)


def test_watcher_config_and_database_url_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[database]\nurl = "sqlite:///from-file.db"\n')
    assert load(env={"WATCHER_CONFIG": str(path)}).database.url == "sqlite:///from-file.db"
    settings = load(
        env={"WATCHER_CONFIG": str(path), "WATCHER_DATABASE_URL": "postgresql+psycopg://u@h/db"}
    )
    assert settings.database.url == "postgresql+psycopg://u@h/db"


def test_explicit_path_wins_over_the_environment(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text("[http]\nretries = 7\n")
    b.write_text("[http]\nretries = 1\n")
    assert load(a, env={"WATCHER_CONFIG": str(b)}).http.retries == 7


def test_missing_explicit_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file"):
        load(tmp_path / "nope.toml", env={})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[schedule]\ncheck_interval = "soon"\n',
            r"c\.toml: schedule\.check_interval: expected a duration such as",
        ),
        ("[email]\nsmtp_port = 70000\n", r"c\.toml: email\.smtp_port: expected a port number"),
        ('[email]\nto = "one@example.org"\n', r"c\.toml: email\.to: expected a list of strings"),
        ("[databse]\nurl = 'x'\n", r"c\.toml: databse\.url: unknown setting"),
        (
            '[sources.ctgov]\nbase_url = "clinicaltrials.gov"\n',
            r"c\.toml: sources\.ctgov\.base_url: expected an http:// or https:// URL",
        ),
        ("[schedule\n", r"c\.toml: not valid TOML"),
    ],
)
def test_bad_files_keys_and_values_name_file_key_and_expectation(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load(path, env={})


def test_bad_database_url_in_the_environment() -> None:
    with pytest.raises(ConfigError, match=r"\$WATCHER_DATABASE_URL: expected an SQLAlchemy URL"):
        from_mapping({}, env={"WATCHER_DATABASE_URL": "watcher.db"})


def test_every_setting_has_help_and_a_valid_default() -> None:
    for setting in SETTINGS:
        assert setting.help.strip(), setting.key
        if setting.default is not None:
            setting.parse(setting.default)
