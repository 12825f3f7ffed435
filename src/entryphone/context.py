"""What a running entryphone process holds: built once by the app's lifespan or a CLI command."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from entryphone.config import Settings
from entryphone.db.engine import create_engine, create_sessionmaker
from entryphone.security.secretbox import SecretBox

T = TypeVar("T")


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    secrets: SecretBox
    # Long-lived services started by later layers (supervisor, push hub, HTTP client pool), by name.
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            secrets=SecretBox(settings.resolved_secret_key(), settings.secret_key_fallback_list()),
        )

    async def close(self) -> None:
        await self.engine.dispose()


async def in_transaction(settings: Settings, work: Callable[[AsyncSession, AppContext], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction with a context of its own (CLI commands, tools)."""
    context = AppContext.build(settings)
    try:
        async with context.sessions() as session, session.begin():
            return await work(session, context)
    finally:
        await context.close()
