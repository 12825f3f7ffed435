"""What a running entryphone process holds: built once by the app's lifespan or a CLI command."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from entryphone.config import Settings
from entryphone.db.engine import create_engine, create_sessionmaker
from entryphone.security.secretbox import SecretBox


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
            secrets=SecretBox(settings.resolved_secret_key()),
        )

    async def close(self) -> None:
        await self.engine.dispose()
