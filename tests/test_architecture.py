"""The import rules of DESIGN.md section 3, enforced on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "entryphone"


def absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module an ImportFrom names, relative imports resolved against `path`'s package."""
    if node.level == 0:
        return node.module or ""
    package = ["entryphone", *path.relative_to(SRC).with_suffix("").parts]
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(path: Path) -> set[str]:
    """Every entryphone module `path` imports, relative imports included (`from . import x` counts
    as importing the package and `package.x`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = absolute(path, node)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
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
    layers = {"api", "cli", "app", "helios", "emulator", "devices", "models", "db", "migrations", "security"}
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


def test_relative_imports_are_resolved() -> None:
    """The emulator imports its own modules relatively; they count like absolute ones."""
    device = SRC / "emulator" / "fleet.py"
    assert "entryphone.emulator.device" in imports_of(device)


def test_routes_call_services_never_repositories() -> None:
    offenders = []
    for module in (SRC / "api").rglob("*.py"):
        for name in imports_of(module):
            if name.split(".")[-1] == "repository":
                offenders.append(f"{module.relative_to(SRC)} imports {name}")
    assert not offenders, "\n".join(offenders)


# What the API layer may use of SQLAlchemy: the session and a query's type (to hand a service's
# query to the pager), and the errors it renders. Building or running statements is the
# repositories' work.
API_SQLALCHEMY = {
    "sqlalchemy": {"Select"},
    "sqlalchemy.ext.asyncio": {"AsyncSession"},
    "sqlalchemy.exc": {"DBAPIError", "TimeoutError", "OperationalError", "InterfaceError"},
}


def test_the_api_builds_and_runs_no_statements() -> None:
    offenders = []
    for module in (SRC / "api").rglob("*.py"):
        tree = ast.parse(module.read_text(), filename=str(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.startswith("sqlalchemy")]
                offenders += [f"{module.relative_to(SRC)} imports {name}" for name in names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                allowed = API_SQLALCHEMY.get(node.module or "", set())
                offenders += [
                    f"{module.relative_to(SRC)} imports {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name not in allowed
                ]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"execute", "scalar", "scalars", "stream", "get"}
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "session"
            ):
                offenders.append(f"{module.relative_to(SRC)}:{node.lineno} runs session.{node.func.attr}")
    assert not offenders, "\n".join(offenders)


def test_services_never_commit() -> None:
    """The caller owns the transaction: a request, a CLI command, a worker, or a device command
    (fleet/commands.py) with its short transactions."""
    offenders = []
    for module in SRC.rglob("*.py"):
        relative = module.relative_to(SRC)
        if module.name not in {"service.py", "repository.py"}:
            continue
        tree = ast.parse(module.read_text(), filename=str(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"commit", "begin"}:
                offenders.append(f"{relative}:{node.lineno} .{node.attr}")
    assert not offenders, "\n".join(offenders)


def test_sql_is_built_in_repositories_not_in_api_handlers() -> None:
    offenders = []
    for module in (SRC / "api").rglob("*.py"):
        text = module.read_text()
        if "from sqlalchemy import" in text and ("select(" in text or "update(" in text or "delete(" in text):
            offenders.append(str(module.relative_to(SRC)))
    allowed = {"api/pagination.py"}
    assert not [o for o in offenders if o not in allowed], offenders
