"""Put data in place through the domain services (not the API under test), from sync or async tests."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.config import Settings
from entryphone.context import AppContext, in_transaction
from entryphone.models import Role

T = TypeVar("T")

_counter = itertools.count(1)


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private loop in a private thread, so it works both from
    plain tests and from inside a running event loop."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(factory())  # type: ignore[arg-type]
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]  # type: ignore[no-any-return]


def in_session(settings: Settings, work: Callable[[AsyncSession, AppContext], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction on the test database."""

    return run_sync(lambda: in_transaction(settings, work))


@dataclass(frozen=True)
class SeededAccount:
    id: int
    login: str
    password: str
    role: Role
    token: str


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{threading.get_ident() % 10000}"


def account(
    settings: Settings, role: Role, login: str | None = None, password: str = "secret-pass", name: str = ""
) -> SeededAccount:
    login = login or unique(role.value)

    async def work(session: AsyncSession, _context: AppContext) -> SeededAccount:
        created = await accounts.create_account(session, login=login, password=password, role=role, name=name)
        issued = await accounts.issue_token(session, created, name="test")
        return SeededAccount(id=created.id, login=login, password=password, role=role, token=issued.token)

    return in_session(settings, work)
