"""The import rules of DESIGN.md section 3, enforced on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "entryphone"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    return (SRC / relative).with_suffix(".py").is_file() or (SRC / relative / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """Every entryphone module `path` imports, relative imports resolved to absolute names.

    Imports inside functions and under TYPE_CHECKING count: they are dependencies all the same.
    `from package import name` counts as an import of `package.name` when that is a module.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if is_module(child) else base)
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
    "sqlalchemy.exc": {"DBAPIError", "IntegrityError", "TimeoutError", "OperationalError", "InterfaceError"},
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


def import_cycles(package: str) -> list[list[str]]:
    """The strongly connected components (Tarjan) of more than one module inside `package`."""
    graph = {module_name(path): set() for path in modules_under(package)}
    for path in modules_under(package):
        graph[module_name(path)] = {name for name in imports_of(path) if name in graph}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_relative_imports_are_resolved() -> None:
    imports = imports_of(SRC / "emulator" / "services" / "__init__.py")
    assert "entryphone.emulator.function" in imports
    assert "entryphone.emulator.services.system" in imports


def test_the_emulator_has_no_import_cycle() -> None:
    cycles = import_cycles("emulator")
    assert not cycles, "\n".join(" <-> ".join(cycle) for cycle in cycles)


# Parameters through which a caller hands a service what to change: typed change objects
# (entryphone/changes.py), built by the API from its request models, never loose mappings.
CHANGE_PARAMETERS = {"changes", "fields", "body", "flags", "permissions", "credentials", "settings"}


def _is_loose_mapping(annotation: ast.expr | None) -> bool:
    """dict[...] / Mapping[...] (optional or not): a mapping whose keys the type checker cannot see."""
    if annotation is None:
        return False
    text = ast.unparse(annotation)
    return any(text.startswith(prefix) for prefix in ("dict[", "Mapping[", "dict |", "Mapping |")) or any(
        f"| {prefix}" in text for prefix in ("dict[", "Mapping[")
    )


def test_services_take_typed_changes_not_mappings() -> None:
    offenders = []
    for module in SRC.rglob("*.py"):
        relative = module.relative_to(SRC)
        if relative.parts[0] in {"api", "cli", "console", "emulator", "helios", "migrations"}:
            continue
        if module.name != "service.py" and relative.parts[0] != "billing":
            continue
        for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            offenders += [
                f"{relative}:{node.lineno} {node.name}({argument.arg}: {ast.unparse(argument.annotation)})"
                for argument in arguments
                if argument.arg in CHANGE_PARAMETERS and _is_loose_mapping(argument.annotation)
            ]
    assert not offenders, "\n".join(offenders)


# What reaches a panel from a route, and the dependencies that would hold a request session (and
# so a pooled connection) across that call.
DEVICE_CALLS = {"open_door_recorded", "camera_reply", "commands_of"}
SESSION_DEPENDENCIES = {"DbSession", "AdminPrincipal", "BillingPrincipal", "ResidentPrincipal", "Resident"}


def test_routes_that_call_a_device_hold_no_request_session() -> None:
    offenders = []
    for module in (SRC / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
            if not isinstance(node, ast.AsyncFunctionDef) or not node.decorator_list:
                continue
            called = {
                call.func.id
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            }
            if not called & DEVICE_CALLS:
                continue
            arguments = [*node.args.args, *node.args.kwonlyargs]
            offenders += [
                f"{module.relative_to(SRC)}:{node.lineno} {node.name}({argument.arg})"
                for argument in arguments
                if isinstance(argument.annotation, ast.Name)
                and argument.annotation.id in SESSION_DEPENDENCIES
            ]
    assert not offenders, "\n".join(offenders)
