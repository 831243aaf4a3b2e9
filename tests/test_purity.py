"""The layers stay as the README's map draws them: the core is pure, only the CLI prints, and
the commands that need neither the database nor the network do not load them."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "watcher"
CORE = sorted(p.stem for p in (PACKAGE / "core").glob("*.py") if p.stem != "__init__")
FORBIDDEN = {"httpx", "sqlalchemy", "jinja2", "alembic", "click", "rich", "requests", "socket"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, by its full name: ``from watcher import cli`` is
    ``watcher.cli``, ``from . import x`` is resolved against the file's package."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            imported.add(base)
            imported |= {f"{base}.{alias.name}" for alias in node.names}
    return imported


def test_the_core_package_is_all_covered() -> None:
    assert {"model", "normalize", "hashing", "diff", "fields", "ids", "flags"} <= set(CORE)


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_io(module: str) -> None:
    imported = _imports(PACKAGE / "core" / f"{module}.py")
    assert not {name.split(".")[0] for name in imported} & FORBIDDEN
    inside = {name for name in imported if name.split(".")[0] == "watcher"}
    assert all(
        name.startswith("watcher.core.") or name.startswith("watcher.errors") for name in inside
    ), inside


def test_the_purity_check_sees_every_form_of_import(tmp_path: Path) -> None:
    """``from watcher import cli`` names no "watcher." module in its ``module`` field: the
    check must see it all the same, and relative imports too."""
    core = PACKAGE / "core"
    sneaky = core / "_sneaky_test_module.py"
    try:
        sneaky.write_text("from watcher import cli\nfrom .. import service\n", encoding="utf-8")
        assert {"watcher.cli", "watcher.service"} <= _imports(sneaky)
    finally:
        sneaky.unlink()


def test_scripts_check_runs_the_import_contracts() -> None:
    """The layers are held by import-linter in scripts/check, not by this file alone."""
    assert "lint-imports" in (PACKAGE.parent / "scripts" / "check").read_text(encoding="utf-8")


def test_every_module_is_small_and_says_what_it_owns() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 400, f"{path}: over 400 lines: a second concept hides in it"
        first = text.split("\n", 1)[0]
        assert first.startswith('"""') and len(first) > 20, f"{path}: no one-line docstring"


def test_only_the_cli_prints() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        ]
        assert not calls, path
        assert "sys.exit" not in path.read_text(encoding="utf-8"), path


def test_nothing_below_the_cli_imports_it() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name != "cli" and path.name != "__main__.py":
            assert not any(n.startswith("watcher.cli") for n in _imports(path)), path


DATA = Path(__file__).resolve().parent / "data"
STUDY = DATA / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json"
NO_DATABASE = ("sqlalchemy", "alembic", "httpx")


def _loaded(args: list[str], modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` running ``watcher ARGS`` loaded."""
    code = (
        "import sys\nfrom watcher.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('LOADED:', *sorted(m for m in {modules!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return out.rsplit("LOADED:", 1)[1].split()


@pytest.mark.e2e  # a fresh interpreter: what a command loads
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["list", "--help"]])
def test_help_loads_no_database_http_or_templates(args: list[str]) -> None:
    """`watcher --help` starts at once: no database, HTTP, diff or template library."""
    assert _loaded(args, (*NO_DATABASE, "deepdiff", "jinja2", "lxml")) == []


@pytest.mark.e2e
def test_parse_and_compare_load_no_database_or_http(tmp_path: Path) -> None:
    assert _loaded(["parse", str(STUDY), "--source", "ctgov"], NO_DATABASE) == []
    args = ["compare", str(STUDY), str(STUDY), "--source", "ctgov"]
    assert _loaded(args, NO_DATABASE) == []


@pytest.mark.e2e
def test_a_command_on_sqlite_loads_no_postgresql(tmp_path: Path) -> None:
    """PostgreSQL's dialect (every driver of it, asyncpg's among them) costs 30 ms of every
    start; a SQLite office never needs it (the migrations that make a new database may)."""
    config = tmp_path / "watcher.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "w.db"}"\n')
    args = ["--config", str(config), "list"]
    _loaded(args, ())  # the database made
    assert _loaded(args, ("sqlalchemy.dialects.postgresql",)) == []


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
    )


@pytest.mark.e2e
@pytest.mark.skipif(
    not (Path(sys.executable).parent / "lint-imports").exists(), reason="no import-linter"
)
def test_the_import_contracts_fail_when_the_core_imports_the_cli(tmp_path: Path) -> None:
    """The contracts hold on the tree as it is, and break on a copy whose core imports the
    CLI (``from watcher import cli``)."""
    shutil.copytree(PACKAGE, tmp_path / "watcher", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACKAGE.parent / "pyproject.toml", tmp_path)
    kept = _lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    ids = tmp_path / "watcher" / "core" / "ids.py"
    ids.write_text(
        ids.read_text().replace(
            "from __future__ import annotations\n",
            "from __future__ import annotations\n\nfrom watcher import cli  # noqa: F401\n",
            1,
        )
    )
    broken = _lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "The core is pure" in broken.stdout and "BROKEN" in broken.stdout
