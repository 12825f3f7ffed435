"""Helpers every CLI command shares: settings, a database session for one command, clear failures."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar, cast

import typer
import typer.core
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext, in_transaction
from entryphone.errors import EntryphoneError, ValidationFailed
from entryphone.observability.logs import configure

T = TypeVar("T")

err_console = Console(stderr=True)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        fail(
            f"Invalid configuration: {exc.errors()[0].get('msg')}. "
            "Check the ENTRYPHONE_* environment variables."
        )


def read_password(prompt: str = "Password") -> str:
    """A password from a hidden, confirmed prompt on a terminal, or the first line of stdin when it
    is a pipe (`printf '%s\\n' "$PW" | entryphone users passwd ...`): never from argv, never echoed."""
    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def hide_flag_types() -> None:
    """typer 0.2x shows `<bool>` as the value type of flags such as --help, which take no value:
    show no type for them. Display only; parsing is untouched; a typer without the method is left
    alone."""
    option = typer.core.TyperOption
    shown = getattr(option, "display_type_rich", None)
    if shown is None:
        return

    def display_type_rich(self: typer.core.TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else cast("str | None", shown(self, ctx))

    option.display_type_rich = display_type_rich  # type: ignore[method-assign]


def configure_logging(settings: Settings) -> None:
    """entryphone's own lines (panel state changes, errors) on stderr at ENTRYPHONE_LOG_LEVEL, through
    the one logging configuration every process uses (observability/logs.py: time, level, logger
    name, credentials redacted). Without it, Python drops everything below WARNING."""
    if logging.getLevelNamesMapping().get(settings.log_level.upper()) is None:
        fail("ENTRYPHONE_LOG_LEVEL must be one of debug, info, warning, error, critical.")
    configure(settings.log_level)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def run_in_session(settings: Settings, work: Callable[[AsyncSession, AppContext], Awaitable[T]]) -> T:
    """Run `work` in one transaction; domain and database errors become a message and exit code 1."""

    try:
        return asyncio.run(in_transaction(settings, work))
    except ValidationFailed as exc:
        details = "; ".join(f"{path}: {' '.join(messages)}" for path, messages in exc.errors.items())
        fail(details)
    except EntryphoneError as exc:
        fail(exc.message)
    except (OperationalError, ProgrammingError) as exc:
        fail(
            f"Database error ({type(exc.orig).__name__ if exc.orig else 'unknown'}). "
            "Is ENTRYPHONE_DATABASE_URL right, and did you run `entryphone db upgrade`?"
        )
    raise AssertionError("unreachable")
