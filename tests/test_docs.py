"""The documentation is part of the product: these keep it true."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from watcher import __version__
from watcher.cli import cli
from watcher.config import SETTINGS, from_mapping
from watcher.config.settings import flatten

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def test_config_example_documents_every_setting_with_its_default() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    flat = flatten(tomllib.loads(text))
    assert sorted(flat) == sorted(s.key for s in SETTINGS)
    for setting in SETTINGS:
        if setting.default is not None:  # database.url: computed default, example value shown
            assert flat[setting.key] == setting.default, setting.key
    from_mapping(tomllib.loads(text), str(EXAMPLE), env={})


def test_every_setting_in_the_example_has_a_comment_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line):
            assert lines[i - 1].startswith("#"), f"config.example.toml line {i + 1}: {line}"


def _commands() -> list[str]:
    names = []
    for name, command in cli.commands.items():
        sub = getattr(command, "commands", None)
        names += [f"{name} {s}" for s in sub] if sub else [name]
    return names


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in _commands():
        assert f"watcher {name}" in readme, f"README does not mention `watcher {name}`"
    for command in cli.commands.values():
        assert command.help, command.name


def test_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2
    assert "watcher" in blocks[0] and "scripts/test" in blocks[1]


def test_the_newest_changelog_release_is_the_package_version() -> None:
    """The version lives in watcher/__init__.py alone; each release has its CHANGELOG section
    (an "Unreleased" section may stand above the newest release)."""
    releases = re.findall(
        r"^## (\d+\.\d+\.\d+) - \d{4}-\d\d-\d\d$",
        (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
        re.M,
    )
    assert releases and releases[0] == __version__, (releases[:1], __version__)
