"""The core stays pure: model, normalize, hashing, diff and fields import no I/O library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "watcher"
PURE = ["model", "normalize", "hashing", "diff", "fields", "ids", "textdiff", "flags"]
FORBIDDEN = {"httpx", "sqlalchemy", "jinja2", "alembic", "click", "rich", "requests", "socket"}


@pytest.mark.parametrize("module", PURE)
def test_core_module_imports_no_io(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
            if node.module.startswith("watcher."):
                assert node.module.split(".")[1] in [*PURE, "errors"], node.module
    assert not imported & FORBIDDEN


def test_only_the_cli_prints() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name == "cli.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        ]
        assert not calls, path
