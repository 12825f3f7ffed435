"""The only SQL of the push hub: which devices a resident uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from entryphone.models.resident_device import ResidentDevice


async def known_devices(session: AsyncSession, account_id: int) -> list[str]:
    rows = await session.execute(
        select(ResidentDevice.uuid).where(ResidentDevice.account_id == account_id).order_by(ResidentDevice.id)
    )
    return list(rows.scalars())


def device_directory(sessions: async_sessionmaker[AsyncSession]) -> Callable[[int], Awaitable[list[str]]]:
    """A DeviceDirectory reading the database in its own short transaction."""

    async def directory(account_id: int) -> list[str]:
        async with sessions() as session:
            return await known_devices(session, account_id)

    return directory
