"""The import rules of DESIGN.md section 3, enforced on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "entryphone"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "entryphone" or name.startswith("entryphone.")}


def modules_under(package: str) -> list[Path]:
    root = SRC / package
    return sorted(root.rglob("*.py")) if root.exists() else []


def top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


# package -> entryphone top-level packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "helios": set(),
    "emulator": {"heap"},  # a stdlib-only process utility: no device or product logic
    "devices": {"helios", "errors"},
    "models": {"db"},
    "db": {"config", "models"},
    "security": set(),
}

# Domain packages must not reach up into the API or the CLI.
FORBIDDEN_FOR_DOMAIN = {"api", "cli", "app"}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(package: str) -> None:
    offenders = []
    for module in modules_under(package):
        for name in imports_of(module):
            target = top(name)
            if target and target != package and target not in ALLOWED[package]:
                offenders.append(f"{module.relative_to(SRC)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_domain_does_not_import_the_api_or_cli() -> None:
    layers = {
        "api",
        "cli",
        "app",
        "helios",
        "emulator",
        "devices",
        "models",
        "db",
        "migrations",
        "security",
        "console",
    }
    domain = [p for p in SRC.iterdir() if p.is_dir() and p.name not in layers and not p.name.startswith("_")]
    offenders = []
    for package in domain:
        for module in package.rglob("*.py"):
            for name in imports_of(module):
                if top(name) in FORBIDDEN_FOR_DOMAIN:
                    offenders.append(f"{module.relative_to(SRC)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_only_the_twon_driver_touches_helios() -> None:
    offenders = []
    for module in SRC.rglob("*.py"):
        relative = module.relative_to(SRC)
        if relative.parts[0] in {"helios", "emulator", "cli"} or relative.parts[:2] == ("devices", "twon"):
            continue
        for name in imports_of(module):
            if top(name) == "helios":
                offenders.append(f"{relative} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_sql_is_built_in_repositories_not_in_api_handlers() -> None:
    offenders = []
    for module in (SRC / "api").rglob("*.py"):
        text = module.read_text()
        if "from sqlalchemy import" in text and ("select(" in text or "update(" in text or "delete(" in text):
            offenders.append(str(module.relative_to(SRC)))
    allowed = {"api/pagination.py"}
    assert not [o for o in offenders if o not in allowed], offenders


def test_the_console_reaches_data_only_through_handlers_and_services() -> None:
    """console/ is an API-like surface: no repositories, models, SQL or database sessions of its own."""
    offenders = []
    for module in modules_under("console"):
        text = module.read_text()
        for name in imports_of(module):
            if name.endswith(".repository") or top(name) in {"models", "db"}:
                offenders.append(f"{module.relative_to(SRC)} imports {name}")
        if "sqlalchemy" in text:
            offenders.append(f"{module.relative_to(SRC)} uses sqlalchemy")
    assert not offenders, "\n".join(offenders)
