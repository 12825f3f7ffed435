"""Helpers every CLI command shares: settings, a database session for one command, clear failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext, in_transaction
from entryphone.errors import EntryphoneError, ValidationFailed

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
